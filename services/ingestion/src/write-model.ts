import { createWriteState, evolveWriteState, type WriteState } from '@ledger/domain';
import { type AppendedEvent, type AppendRequest, type EventStore, readPages } from '@ledger/event-store';

/**
 * The latest state commands are decided against, kept level with the store by reading what was
 * appended since the last look (by this process or any other writer sharing the store).
 */
export interface WriteModel {
  readonly state: WriteState;
  /** Reads the store up to its head; resolves with the position reached. */
  catchUp(): Promise<number>;
  /**
   * Folds what this process has just appended without reading it back, when it directly follows
   * what the model has read; otherwise (another writer got in between) the next catchUp reads it.
   */
  appended(requests: readonly AppendRequest[], events: readonly AppendedEvent[]): void;
}

export function createWriteModel(store: EventStore, pageSize = 10_000): WriteModel {
  const state = createWriteState();
  let position = 0;
  return {
    state,
    catchUp: async () => {
      for await (const events of readPages(store, position, pageSize))
        for (const e of events) {
          evolveWriteState(state, e.streamId, e);
          position = e.position;
        }
      return position;
    },
    appended: (requests, events) => {
      const last = events.at(-1);
      if (!last || events[0]?.position !== position + 1) return;
      for (const request of requests)
        for (const e of request.events) evolveWriteState(state, request.streamId, e);
      position = last.position;
    },
  };
}
