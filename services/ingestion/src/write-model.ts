import {
  createWriteState,
  evolveWriteState,
  IDEMPOTENCY_KEY_RECORDED,
  type WriteState,
} from '@ledger/domain';
import { type AppendedEvent, type AppendRequest, type EventStore, FOLD_PAGE_SIZE } from '@ledger/event-store';
import { createKeyFilter, type KeyFilter } from './key-filter.ts';

/**
 * The latest state commands are decided against, kept level with the store by reading what was
 * appended since the last look (by this process or any other writer sharing the store).
 */
export interface WriteModel {
  readonly state: WriteState;
  /** The idempotency streams the model has seen (or may have): a key outside it needs no lookup. */
  readonly keys: Pick<KeyFilter, 'mayHold'>;
  /** Reads the store up to its head; resolves with the position reached. */
  catchUp(): Promise<number>;
  /**
   * Folds what this process has just appended without reading it back. What other writers
   * appended before it (the scoring thread's scores, another process) is read and folded first;
   * only that is read. It never throws: if that read fails, the model stays where it was and the
   * next catchUp reads it all (and meets the failure there, before anything is decided).
   */
  appended(requests: readonly AppendRequest[], events: readonly AppendedEvent[]): Promise<void>;
}

export function createWriteModel(store: EventStore, pageSize = FOLD_PAGE_SIZE): WriteModel {
  const state = createWriteState();
  const keys = createKeyFilter();
  let position = 0;
  const fold = (streamId: string, e: { type: string; data: unknown }) => {
    evolveWriteState(state, streamId, e);
    if (e.type === IDEMPOTENCY_KEY_RECORDED) keys.add(streamId);
  };

  /** Reads and folds what lies between the model and `first` (the head, for Infinity). */
  const readUpTo = async (first: number): Promise<void> => {
    while (position < first - 1) {
      // Positions grow by at least one per event, so a read of this many never passes `first`
      // where the store numbers them one by one (SQLite), and stops short of it elsewhere.
      const limit = Math.min(pageSize, first - 1 - position);
      const page = await store.readAll({ after: position, limit });
      for (const e of page) {
        if (e.position >= first) return;
        fold(e.streamId, e);
        position = e.position;
      }
      if (page.length < limit) return;
    }
  };

  return {
    state,
    keys,
    catchUp: async () => {
      await readUpTo(Number.POSITIVE_INFINITY);
      return position;
    },
    appended: async (requests, events) => {
      const first = events[0]?.position;
      const last = events.at(-1)?.position;
      if (first === undefined || last === undefined || first <= position) return;
      try {
        await readUpTo(first);
      } catch {
        return;
      }
      for (const request of requests) for (const e of request.events) fold(request.streamId, e);
      position = last;
    },
  };
}
