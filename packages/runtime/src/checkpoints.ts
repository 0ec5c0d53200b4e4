import { join } from 'node:path';
import type { Checkpoints } from '@ledger/event-store';
import { getSQLiteCheckpoints } from '@ledger/event-store-sqlite';

/** Checkpoints of an owner's consumers whose effect is outside the store (the relay's), in a file of `stateDir`. */
export function openCheckpoints(stateDir: string, owner: string): Checkpoints {
  return getSQLiteCheckpoints(join(stateDir, `${owner}-checkpoints.sqlite`));
}
