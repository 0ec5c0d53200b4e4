import { z } from 'zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads configuration from the environment; a wrong value throws a ConfigError naming the variable. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = i.path.join('.');
    return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** The transparency log's settings, shared by the all-in-one server and the projection service. */
export const LogSettings = {
  /** The log's name in checkpoints (C2SP origin) and the signing key's name. */
  LEDGER_LOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/, 'must be a name without spaces or "+", e.g. ledger.example.gov.vn/indicators')
    .default('indicator-ledger.example/log'),
  /** Seconds between signed checkpoints (when the log has grown); 0 signs only on request. */
  LEDGER_CHECKPOINT_INTERVAL: z.coerce.number({ message: 'must be a number of seconds' }).min(0).default(60),
};
