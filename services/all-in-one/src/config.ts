import { ProcessSettings, Switch, TransparencyLogSettings } from '@ledger/runtime';
import { z } from 'zod';

/** The all-in-one server's configuration, all from the environment. */
export const AllInOneConfig = z.object({
  ...ProcessSettings,
  PORT: ProcessSettings.PORT.default(8080),
  LEDGER_DATA_DIR: z.string().min(1, 'must be a directory path').default('./data'),
  LEDGER_DEMO: Switch.default(true),
  ...TransparencyLogSettings,
});

export type AllInOneConfig = z.infer<typeof AllInOneConfig>;
