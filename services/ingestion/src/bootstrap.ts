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
