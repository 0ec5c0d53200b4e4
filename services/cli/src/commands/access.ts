import { dirname, join, resolve } from 'node:path';
import { loadOrCreateServerSecret } from '@ledger/access';
import { grantsAsOf, ledgerDay, PrincipalId, parseAsOf, principalsOf, visible } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { getSQLiteCredentials } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import {
  bootstrapOwnerKeyFile,
  claimKeyFile,
  createIngestion,
  type Ingestion,
  type KeyIssuer,
  OWNER,
  type RawCommand,
  requestHash,
  type WriteOutcome,
} from '@ledger/ingestion';
import { createAuthenticator } from '@ledger/runtime';
import { parseCommandLine } from '../arguments.ts';
import { fold, openStore, readLog, type StoreOpener } from '../event-log.ts';
import { CliFailure, EXIT } from '../failure.ts';

/** The lines of `ledger --help` for this command; `ledger access --help` prints them too. */
export const ACCESS_USAGE = `  access  bootstrap [--key-file PATH]
          register the owner (svc:owner, every role) and write its first API key to PATH
          (default <data dir>/admin.key, mode 0600, never overwritten); nothing if there is an owner
  access  principals [--json]
          the principals, with the roles their grants give them today
  access  grants [--principal ID] [--as-of D] [--json]
          the grants in force as of D (default now): as the log stood then, and on D's day
  access  add-principal ID NAME [--actor A]
  access  grant PRINCIPAL ROLE [--unit U] [--from DAY] [--to DAY] [--reason TEXT] [--actor A]
  access  revoke-grant GRANT_ID [--reason TEXT] [--actor A]
  access  issue-key PRINCIPAL [--expires-at T] [--key-file PATH] [--actor A]
          the key on stdout, shown this once, or written to PATH (mode 0600) with --key-file
  access  revoke-key KEY_ID [--reason TEXT] [--actor A]
          writes as a process holding the store's file (auth local), as A (default svc:owner);
          the key digests are kept in LEDGER_CREDENTIALS (default <data dir>/credentials.sqlite),
          keyed with LEDGER_KEY_SECRET_FILE (default key-secret beside them), as the server does`;

const OPTIONS = {
  actor: { type: 'string', default: OWNER },
  unit: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  principal: { type: 'string' },
  'as-of': { type: 'string' },
  'expires-at': { type: 'string' },
  'key-file': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

/** How the CLI prints: `print` for lines (callers pass log text through `visible`), `printJson` escapes itself. */
export interface Output {
  print(text: string): void;
  printJson(value: unknown): void;
}

/** Where the access files live: the all-in-one server's defaults, so that the CLI and the server share them. */
export function accessPaths(env: NodeJS.ProcessEnv = process.env) {
  const dataDir = resolve(env.LEDGER_DATA_DIR || './data');
  const credentials = resolve(env.LEDGER_CREDENTIALS || join(dataDir, 'credentials.sqlite'));
  return {
    dataDir,
    credentials,
    // Beside the credential store unless named, as runtime's openAuthenticator has it.
    secret: resolve(env.LEDGER_KEY_SECRET_FILE || join(dirname(credentials), 'key-secret')),
    adminKey: join(dataDir, 'admin.key'),
  };
}

/**
 * The key issuer the server uses (runtime's authenticator over the credential store), so that a key
 * made here verifies there. Opened before anything is recorded: a credential store that cannot be
 * opened (a wrong mode, say) must refuse the command, not leave an issued key without its digest.
 */
function openKeys(env: NodeJS.ProcessEnv): { keys: KeyIssuer; close(): void } {
  const paths = accessPaths(env);
  const store = getSQLiteCredentials(paths.credentials);
  try {
    const secret = loadOrCreateServerSecret(paths.secret);
    const keys = createAuthenticator({ apiKeys: { store, secret } }).keys;
    if (!keys) throw new Error('the authenticator issues no API keys');
    return { keys, close: () => store.close() };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The write side, level with the store, as seal.ts starts it: every rule of the API applies. */
async function startIngestion(store: EventStore): Promise<Ingestion> {
  const ingestion = createIngestion({ store, logger: createLogger('ledger-cli', 'warn') });
  await ingestion.start();
  return ingestion;
}

/** Records commands as one write, as `actor` authenticated by holding the store's file. */
function record(
  ingestion: Ingestion,
  actor: string,
  name: string,
  commands: RawCommand[],
): Promise<WriteOutcome> {
  return ingestion.execute({
    commands,
    pathOf: () => '',
    requestHash: requestHash(`cli:access ${name}`, commands),
    actor,
    auth: { method: 'local' },
    correlationId: `cli:access:${name}`,
    causationId: null,
    submissionAddressedBy: 'body',
  });
}

/**
 * A key file created now, mode 0600, before the key exists: a path that is taken (or cannot be
 * written) refuses the command before a key is issued that nobody could then read. Never
 * overwritten, so that a second run cannot destroy the only copy of a working key.
 */
function reserveKeyFile(path: string) {
  try {
    return { path, ...claimKeyFile(path) };
  } catch (error) {
    throw new CliFailure((error as Error).message, EXIT.usage);
  }
}

/** An instant as the CLI reads dates (a bare date is the end of that day in Asia/Ho_Chi_Minh), in ms. */
function instantOption(name: string, text: string): number {
  const ms = parseAsOf(text);
  if (ms === undefined)
    throw new CliFailure(`--${name} ${text} is not an ISO-8601 date or date-time`, EXIT.usage);
  return ms;
}

/** --actor: a principal id, since access events record it as who granted, issued or revoked. */
function actorOption(value: string | undefined): string {
  const parsed = PrincipalId.safeParse(value);
  if (!parsed.success) throw new CliFailure(`--actor ${parsed.error.issues[0]?.message}`, EXIT.usage);
  return parsed.data;
}

/** The positionals a subcommand takes, exactly. */
function operands(rest: string[], names: string[], sub: string): string[] {
  if (rest.length !== names.length)
    throw new CliFailure(
      `access ${sub} takes ${names.join(' ') || 'no operands'}; see ledger access --help`,
      EXIT.usage,
    );
  return rest;
}

/** `access bootstrap`: the owner and its first key, unless the ledger has an owner. */
async function bootstrap(store: EventStore, values: Values, env: NodeJS.ProcessEnv, out: Output) {
  const ingestion = await startIngestion(store);
  const said = (keyFile?: string) =>
    values.json
      ? out.printJson({
          bootstrapped: keyFile !== undefined,
          principalId: OWNER,
          ...(keyFile ? { keyFile } : {}),
        })
      : out.print(
          keyFile
            ? `registered the owner ${OWNER} with every role; its API key is in ${visible(keyFile)} (mode 0600)`
            : `the ledger has an owner (${OWNER}) already; nothing recorded`,
        );
  if (ingestion.state().principals.has(OWNER)) return said();
  const credentials = openKeys(env);
  try {
    const keyFile = resolve(values['key-file'] ?? accessPaths(env).adminKey);
    const written = await bootstrapOwnerKeyFile({ store, ingestion, keys: credentials.keys, keyFile }).catch(
      (error: Error) => {
        throw error.message.includes('never overwritten') ? new CliFailure(error.message, EXIT.usage) : error;
      },
    );
    return said(written);
  } finally {
    credentials.close();
  }
}

/** `access issue-key`: recorded in the log first, the digest stored after, as the HTTP route does. */
async function issueKey(
  store: EventStore,
  principalId: string,
  values: Values,
  env: NodeJS.ProcessEnv,
  out: Output,
) {
  const actor = actorOption(values.actor);
  const expiresAt =
    values['expires-at'] === undefined
      ? null
      : new Date(instantOption('expires-at', values['expires-at'])).toISOString();
  const ingestion = await startIngestion(store);
  const credentials = openKeys(env);
  try {
    const file = values['key-file'] ? reserveKeyFile(resolve(values['key-file'])) : undefined;
    const made = credentials.keys.make();
    let outcome: WriteOutcome;
    try {
      outcome = await record(ingestion, actor, 'issue-key', [
        { type: 'api-key', body: { keyId: made.keyId, principalId, ...(expiresAt ? { expiresAt } : {}) } },
      ]);
    } catch (error) {
      file?.abandon();
      throw error;
    }
    made.store(principalId, expiresAt);
    const result = outcome.results[0];
    if (file) {
      try {
        file.fill(made.key);
      } catch (error) {
        throw new CliFailure(
          `key ${made.keyId} is issued but could not be written to ${file.path} (${(error as Error).message}); revoke it with ledger access revoke-key ${made.keyId}`,
        );
      }
    }
    const issued = { keyId: made.keyId, principalId, expiresAt, ...(file ? { keyFile: file.path } : {}) };
    if (values.json) out.printJson({ ...issued, ...(file ? {} : { key: made.key }), ...result });
    else if (file)
      out.print(
        `issued key ${made.keyId} to ${visible(principalId)} at position ${result?.position}; it is in ${visible(file.path)} (mode 0600)`,
      );
    else out.print(made.key);
  } finally {
    credentials.close();
  }
}

/** `access revoke-key`: recorded in the log (which authentication reads too), then marked in the credential store. */
async function revokeKey(store: EventStore, keyId: string, values: Values, env: NodeJS.ProcessEnv) {
  const actor = actorOption(values.actor);
  const ingestion = await startIngestion(store);
  const credentials = openKeys(env);
  try {
    const outcome = await record(ingestion, actor, 'revoke-key', [
      {
        type: 'api-key-revocation',
        body: { keyId, ...(values.reason === undefined ? {} : { reason: values.reason }) },
      },
    ]);
    credentials.keys.revoke(keyId);
    return outcome;
  } finally {
    credentials.close();
  }
}

/** The body fields of the options given, and only those: an absent option is an absent field, never null. */
function fields(values: Values, names: Record<string, keyof Values>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(names)
      .filter(([, option]) => values[option] !== undefined)
      .map(([field, option]) => [field, values[option]]),
  );
}

/** Prints what a write recorded: its event and position, as the other write commands do. */
function printWrite(out: Output, values: Values, outcome: WriteOutcome, what: string) {
  const result = outcome.results[0];
  if (values.json) out.printJson(result);
  else out.print(`${what} at position ${result?.position}, ${result?.recordedAt}`);
}

/** `ledger access <subcommand> …`: parses its own options, since its --actor defaults to the owner. */
export async function runAccess(
  argv: string[],
  out: Output,
  env: NodeJS.ProcessEnv = process.env,
  /** Opens the store LEDGER_STORE names; by default as the services do. */
  open?: StoreOpener,
): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    out.print(ACCESS_USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const store = openStore(env, open);
  try {
    switch (sub) {
      case 'bootstrap':
        operands(rest, [], sub);
        await bootstrap(store, values, env, out);
        return EXIT.ok;
      case 'principals': {
        operands(rest, [], sub);
        const rows = principalsOf(fold(await readLog(store)), ledgerDay(Date.now()));
        if (values.json) out.printJson(rows);
        else
          for (const p of rows)
            out.print(`${visible(p.principalId)}\t${visible(p.name)}\t${p.roles.join(',') || '–'}`);
        return EXIT.ok;
      }
      case 'grants': {
        operands(rest, [], sub);
        const at = values['as-of'] === undefined ? Date.now() : instantOption('as-of', values['as-of']);
        const report = grantsAsOf(fold(await readLog(store)), at, values.principal);
        if (values.json) out.printJson(report);
        else
          for (const g of report.grants)
            out.print(
              [
                g.principalId,
                g.role,
                g.unitId ?? '*',
                `${g.validFrom ?? '…'}–${g.validTo ?? '…'}`,
                `by ${g.grantedBy}`,
                g.grantId,
                g.reason ?? '',
              ]
                .map(visible)
                .join('\t'),
            );
        return EXIT.ok;
      }
      case 'add-principal': {
        const [id, name] = operands(rest, ['ID', 'NAME'], sub);
        const outcome = await record(await startIngestion(store), actorOption(values.actor), sub, [
          { type: 'principal', body: { id, name } },
        ]);
        printWrite(out, values, outcome, `registered ${visible(String(id))}`);
        return EXIT.ok;
      }
      case 'grant': {
        const [principalId, role] = operands(rest, ['PRINCIPAL', 'ROLE'], sub);
        const body = {
          principalId,
          role,
          ...fields(values, { unitId: 'unit', validFrom: 'from', validTo: 'to', reason: 'reason' }),
        };
        const outcome = await record(await startIngestion(store), actorOption(values.actor), sub, [
          { type: 'grant', body },
        ]);
        printWrite(
          out,
          values,
          outcome,
          `granted ${visible(String(role))} to ${visible(String(principalId))}: grant ${outcome.results[0]?.grantId}`,
        );
        return EXIT.ok;
      }
      case 'revoke-grant': {
        const [grantId] = operands(rest, ['GRANT_ID'], sub);
        const outcome = await record(await startIngestion(store), actorOption(values.actor), sub, [
          { type: 'grant-revocation', body: { grantId, ...fields(values, { reason: 'reason' }) } },
        ]);
        printWrite(out, values, outcome, `revoked grant ${visible(String(grantId))}`);
        return EXIT.ok;
      }
      case 'issue-key': {
        const [principalId] = operands(rest, ['PRINCIPAL'], sub);
        await issueKey(store, principalId as string, values, env, out);
        return EXIT.ok;
      }
      case 'revoke-key': {
        const [keyId] = operands(rest, ['KEY_ID'], sub);
        const outcome = await revokeKey(store, keyId as string, values, env);
        printWrite(out, values, outcome, `revoked key ${visible(String(keyId))}`);
        return EXIT.ok;
      }
      default:
        throw new CliFailure(`unknown access command ${sub}; see ledger access --help`, EXIT.usage);
    }
  } finally {
    await store.close();
  }
}
