import { PrincipalId } from '@ledger/domain';
import { z } from 'zod';

/** An on/off setting. */
export const Switch = z
  .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'must be on or off' })
  .transform((v) => v === 'on' || v === 'true' || v === '1');

/** Where a process listens and how much it logs: read by every deployment. */
export const ProcessSettings = {
  PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be a port number')
    .max(65535, 'must be a port number'),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * Who may call the ledger (docs/access.md). With LEDGER_AUTH on (the default), every write and ops
 * action needs a credential: an API key the ledger issued (its digest in LEDGER_CREDENTIALS,
 * keyed with the secret in LEDGER_KEY_SECRET_FILE) or an OIDC access token of LEDGER_OIDC_ISSUER
 * for LEDGER_OIDC_AUDIENCE.
 */
export const AccessSettings = {
  /** off: development only; every request acts as svc:development, recorded with auth method none. */
  LEDGER_AUTH: Switch.default(true),
  /** authenticated: reads need a credential too. */
  LEDGER_READS: z
    .enum(['public', 'authenticated'], { message: 'must be public or authenticated' })
    .default('public'),
  LEDGER_OIDC_ISSUER: z
    .url({ protocol: /^https?$/, message: 'must be the issuer URL, https://…' })
    .optional(),
  LEDGER_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** The SQLite file of API-key digests (never in the log). */
  LEDGER_CREDENTIALS: z.string().min(1, 'must be a file path').optional(),
  /** The 32-byte secret API-key digests are keyed with (created 0600 if missing). */
  LEDGER_KEY_SECRET_FILE: z.string().min(1, 'must be a file path').optional(),
};

/** The checks AccessSettings need across variables; `credentialsRequired`: a split service must have a way in. */
export function checkAccess(
  c: {
    LEDGER_AUTH: boolean;
    LEDGER_OIDC_ISSUER?: string;
    LEDGER_OIDC_AUDIENCE?: string;
    LEDGER_CREDENTIALS?: string;
  },
  ctx: z.RefinementCtx,
  credentialsRequired: boolean,
): void {
  if (c.LEDGER_OIDC_ISSUER && !c.LEDGER_OIDC_AUDIENCE)
    ctx.addIssue({
      code: 'custom',
      path: ['LEDGER_OIDC_AUDIENCE'],
      message: 'is required with LEDGER_OIDC_ISSUER',
    });
  if (credentialsRequired && c.LEDGER_AUTH && !c.LEDGER_OIDC_ISSUER && !c.LEDGER_CREDENTIALS)
    ctx.addIssue({
      code: 'custom',
      path: ['LEDGER_CREDENTIALS'],
      message:
        'is required (or LEDGER_OIDC_ISSUER): a service must know how to authenticate its callers; LEDGER_AUTH=off is for development only',
    });
}

/** The transparency log's settings, read by every deployment that serves it. */
export const TransparencyLogSettings = {
  /** The log's name in checkpoints (C2SP origin) and the signing key's name. */
  LEDGER_LOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/, 'must be a name without spaces or "+", e.g. ledger.example.gov.vn/indicators')
    .default('indicator-ledger.example/log'),
  /** Seconds between signed checkpoints (when the log has grown); 0 signs only on request. */
  LEDGER_CHECKPOINT_INTERVAL: z.coerce.number({ message: 'must be a number of seconds' }).min(0).default(60),
  /** Where the log signing key is kept (log-signing.key, mode 0600); default: the state directory. */
  LEDGER_LOG_KEY_DIR: z.string().min(1, 'must be a directory path').optional(),
  /**
   * The signing key the log expects, as `<origin>+<8 hex key id>`, declared lost: at the next
   * start the signer records the loss in the log and signs with a new key. Only that key: once the
   * loss is recorded, the setting has no effect.
   */
  LEDGER_LOG_KEY_LOST: z
    .string()
    .regex(
      /^[^\s+]+\+[0-9a-f]{8}$/,
      'must be the lost key as <origin>+<8 hex key id>, as the refusal to start names it',
    )
    .optional(),
  /** Why the key was lost: one line, recorded in the log with the loss. */
  LEDGER_LOG_KEY_LOSS_REASON: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters')
    .optional(),
};

/** A key loss says why. */
export function checkTransparencyLog(
  c: { LEDGER_LOG_KEY_LOST?: string | undefined; LEDGER_LOG_KEY_LOSS_REASON?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (c.LEDGER_LOG_KEY_LOST && !c.LEDGER_LOG_KEY_LOSS_REASON)
    ctx.addIssue({
      code: 'custom',
      path: ['LEDGER_LOG_KEY_LOSS_REASON'],
      message: 'is required with LEDGER_LOG_KEY_LOST: the log records why the key was lost',
    });
}

/** The transparency log's options, from its settings. */
export const transparencyLogOptions = (c: {
  LEDGER_LOG_ORIGIN: string;
  LEDGER_CHECKPOINT_INTERVAL: number;
  LEDGER_LOG_KEY_DIR?: string | undefined;
  LEDGER_LOG_KEY_LOST?: string | undefined;
  LEDGER_LOG_KEY_LOSS_REASON?: string | undefined;
}) => ({
  origin: c.LEDGER_LOG_ORIGIN,
  intervalSeconds: c.LEDGER_CHECKPOINT_INTERVAL,
  ...(c.LEDGER_LOG_KEY_DIR ? { keyDir: c.LEDGER_LOG_KEY_DIR } : {}),
  ...(c.LEDGER_LOG_KEY_LOST
    ? { keyLoss: { lostKey: c.LEDGER_LOG_KEY_LOST, reason: c.LEDGER_LOG_KEY_LOSS_REASON ?? '' } }
    : {}),
});

/** The schemes of a KurrentDB connection string (`esdb` is the deprecated EventStoreDB one). */
const KURRENTDB_CONNECTION_STRING = /^(?:kurrentdb|kurrent|kdb|esdb)(?:\+discover)?:\/\/\S+$/;

/**
 * `sqlite:<path>`, or a KurrentDB connection string (`kurrentdb://host:2113?tls=false`,
 * `kurrentdb+discover://host1:2113,host2:2113,host3:2113` for a cluster, or `esdb://…`).
 * A KurrentDB store has no file: its `path` is `.` so that code written for files (mkdir of its
 * directory) does nothing; tell the two apart by `kind`.
 */
export const StoreLocation = z.string().transform((value, ctx) => {
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length)
    return { kind: 'sqlite' as const, path: value.slice('sqlite:'.length) };
  if (KURRENTDB_CONNECTION_STRING.test(value))
    return { kind: 'kurrentdb' as const, connectionString: value, path: '.' };
  ctx.addIssue({
    code: 'custom',
    message: 'must be sqlite:<path> or a KurrentDB connection string (kurrentdb://host:2113?tls=false)',
  });
  return z.NEVER;
});

export type StoreLocation = z.infer<typeof StoreLocation>;

const Brokers = z
  .string()
  .min(1, 'must list at least one host:port')
  .transform((s) => s.split(',').map((b) => b.trim()))
  .refine((list) => list.every((b) => /^[^\s:]+:\d+$/.test(b)), 'must be host:port[,host:port…]');

/**
 * Seconds between ingestion's looks at the registered principals, for the commands topics of those
 * registered since (`ledger.commands.v1.<principal>`, docs/topics.md). Default 5.
 */
const CommandsRecheck = z.coerce
  .number({ message: 'must be a number of seconds' })
  .min(0.1, 'must be at least 0.1 s')
  .max(3600, 'must be at most 3600 s')
  .default(5);

/** The environment every split service reads. */
export const ServiceConfig = z
  .object({
    ...ProcessSettings,
    LEDGER_STORE: StoreLocation.default({ kind: 'sqlite', path: './data/ledger.sqlite' }),
    LEDGER_STATE_DIR: z.string().min(1).default('./data'),
    LEDGER_BUS: z.literal('kafka', {
      message: 'must be kafka (the in-process bus is for the all-in-one server)',
    }),
    KAFKA_BROKERS: Brokers,
    KAFKA_CLIENT_ID: z.string().min(1).optional(),
    KAFKA_SSL: Switch.default(false),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
    LEDGER_KAFKA_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'may hold letters, digits, ".", "_" and "-"')
      .optional(),
    /** The principal the records of ledger.commands.v1 act as: whoever the topic's ACL lets write it. */
    LEDGER_KAFKA_COMMANDS_PRINCIPAL: PrincipalId.optional(),
    /** Ingestion: where to write the owner's API key at the first start of a ledger with no owner. */
    LEDGER_OWNER_KEY_FILE: z.string().min(1, 'must be a file path').optional(),
    LEDGER_KAFKA_COMMANDS_RECHECK: CommandsRecheck,
    /** Fault tests only: `service:point` makes the process kill itself there (see docs/operations.md). */
    LEDGER_CRASH_AT: z.string().optional(),
    LEDGER_CRASH_AFTER: z.coerce.number().int().min(1).default(1),
    ...TransparencyLogSettings,
    ...AccessSettings,
  })
  .superRefine((c, ctx) => {
    checkAccess(c, ctx, true);
    checkTransparencyLog(c, ctx);
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD))
      for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const)
        if (!c[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required with KAFKA_SASL_MECHANISM' });
  });

export type ServiceConfig = z.infer<typeof ServiceConfig>;

/** The same schema with the service's own default port. */
export const serviceConfig = (defaultPort: number) =>
  z.preprocess(
    (env) => ({
      ...(env as Record<string, unknown>),
      PORT: (env as Record<string, unknown>).PORT ?? defaultPort,
    }),
    ServiceConfig,
  );
