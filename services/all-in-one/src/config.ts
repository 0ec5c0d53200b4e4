import { LogSettings } from '@ledger/http';
import { z } from 'zod';

const Switch = z
  .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'must be on or off' })
  .transform((v) => v === 'on' || v === 'true' || v === '1');

/** The all-in-one server's configuration, all from the environment. */
export const AllInOneConfig = z.object({
  PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0)
    .max(65535)
    .default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LEDGER_DATA_DIR: z.string().min(1, 'must be a directory path').default('./data'),
  LEDGER_DEMO: Switch.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...LogSettings,
});

export type AllInOneConfig = z.infer<typeof AllInOneConfig>;
