import { headPosition, type LedgerIndex } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { bytesEqual, eventLeafHash, type MerkleTree } from '@ledger/transparency-log';
import type { Generation } from './generation.ts';
import { openReadModelDb, removeReadModel } from './read-model-db.ts';

/**
 * Why a loaded read model is not a prefix of the log, if it is not: its last event must be the
 * log's event at that position. It is not when the log was restored from an older backup, or
 * when a power loss took the log's last commits but not the read model's. Serving such a read
 * model, or applying the log's next events on top of it, would answer for events the log does not hold.
 */
export async function disagreementWithLog(
  store: EventStore,
  loaded: { readonly index: LedgerIndex; readonly tree: MerkleTree },
): Promise<string | undefined> {
  const checkpoint = headPosition(loaded.index);
  if (checkpoint === 0) return undefined;
  const [event] = await store.readAll({ after: checkpoint - 1, limit: 1 });
  if (event?.position !== checkpoint) return `the log has no event at position ${checkpoint}`;
  if (!bytesEqual(eventLeafHash(event), loaded.tree.leafHash(loaded.tree.size - 1)))
    return `the log's event at position ${checkpoint} is not the one the read model applied`;
  return undefined;
}

/**
 * Opens the read model persisted at `path`, or a new one in its place if it disagrees with the log
 * (see `disagreementWithLog`): the projection then rebuilds it from the log as it catches up.
 */
export async function openAgreeingReadModel(deps: {
  store: EventStore;
  path: string;
  logger: Logger;
}): Promise<Generation> {
  const { store, path, logger } = deps;
  const db = openReadModelDb(path);
  const loaded = db.load();
  const disagreement = await disagreementWithLog(store, loaded);
  if (disagreement === undefined) {
    logger.info({ checkpoint: loaded.checkpoint, path }, 'read model loaded');
    return { index: loaded.index, tree: loaded.tree, db };
  }
  logger.warn(
    { checkpoint: loaded.checkpoint, path, reason: disagreement },
    'read model dropped: it does not match the log; rebuilding it from the log',
  );
  db.close();
  removeReadModel(path);
  const fresh = openReadModelDb(path);
  return { ...fresh.load(), db: fresh };
}
