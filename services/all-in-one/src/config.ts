import {
  AccessSettings,
  checkAccess,
  checkTransparencyLog,
  ProcessSettings,
  Switch,
  TransparencyLogSettings,
} from '@ledger/runtime';
import { z } from 'zod';

/** The all-in-one server's configuration, all from the environment. */
export const AllInOneConfig = z
  .object({
    ...ProcessSettings,
    PORT: ProcessSettings.PORT.default(8080),
    LEDGER_DATA_DIR: z.string().min(1, 'must be a directory path').default('./data'),
    LEDGER_DEMO: Switch.default(true),
    ...TransparencyLogSettings,
    // API keys are kept in the data directory unless LEDGER_CREDENTIALS says otherwise.
    ...AccessSettings,
  })
  .superRefine((c, ctx) => {
    checkAccess(c, ctx, false);
    checkTransparencyLog(c, ctx);
  });

export type AllInOneConfig = z.infer<typeof AllInOneConfig>;
