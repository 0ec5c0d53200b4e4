import { closeSync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROLES } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { requestHash } from './idempotency.ts';
import type { Ingestion } from './ingest.ts';
import type { KeyIssuer } from './routes.ts';

/** The principal a new ledger starts with: every role, so that it can register and grant the others. */
export const OWNER = 'svc:owner';

/**
 * Registers the owner with every role and issues its first API key, unless the ledger has an owner
 * already. Returns the key, to be written where only the operator can read it, or undefined.
 *
 * The owner is recorded by the ledger itself (auth method `bootstrap`). Like every access write, on
 * an open ledger it is recorded at the latest recordedAt in the log, so that it neither seals the
 * ledger nor blocks an import of older history (time.ts).
 */
export async function bootstrapOwner(deps: {
  store: EventStore;
  ingestion: Ingestion;
  keys: KeyIssuer;
}): Promise<string | undefined> {
  const { ingestion, keys } = deps;
  if (ingestion.state().principals.has(OWNER)) return undefined;
  const made = keys.make();
  const commands = [
    { type: 'principal', body: { id: OWNER, name: 'Chủ sở hữu sổ cái (owner)' } },
    ...ROLES.map((role) => ({
      type: 'grant',
      body: { principalId: OWNER, role, reason: 'the ledger’s first principal' },
    })),
    { type: 'api-key', body: { keyId: made.keyId, principalId: OWNER } },
  ];
  await ingestion.execute({
    commands,
    pathOf: (i) => `commands.${i}.body`,
    requestHash: requestHash('bootstrap', commands),
    actor: OWNER,
    auth: { method: 'bootstrap' },
    correlationId: 'bootstrap:owner',
    causationId: null,
    submissionAddressedBy: 'body',
  });
  made.store(OWNER, null);
  return made.key;
}

/**
 * Claims a file for an API key: created with mode 0600 (its directory 0700 if new), never over an
 * existing one, before the key is recorded, so that a key the log knows always has its file.
 * `fill` writes and syncs the key; `abandon` removes the file when nothing was recorded.
 */
export function claimKeyFile(path: string): { fill(key: string): void; abandon(): void } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${path} exists; a key file is never overwritten`);
    throw error;
  }
  return {
    fill(key) {
      try {
        writeSync(fd, `${key}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    abandon() {
      closeSync(fd);
      unlinkSync(path);
    },
  };
}

/**
 * Registers the owner, as bootstrapOwner does, and writes its key to `keyFile` (claimKeyFile).
 * Returns the file, or undefined if the ledger has an owner already; throws, naming the file, if
 * it exists while the ledger has none.
 */
export async function bootstrapOwnerKeyFile(
  deps: Parameters<typeof bootstrapOwner>[0] & { readonly keyFile: string },
): Promise<string | undefined> {
  if (deps.ingestion.state().principals.has(OWNER)) return undefined;
  const file = claimKeyFile(deps.keyFile);
  let key: string | undefined;
  try {
    key = await bootstrapOwner(deps);
  } catch (error) {
    file.abandon();
    throw error;
  }
  if (key === undefined) {
    file.abandon();
    return undefined;
  }
  file.fill(key);
  return deps.keyFile;
}
