import { createWriteState, evolveWriteState, type WriteState } from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';

/**
 * The latest state commands are decided against, kept level with the store by reading what was
 * appended since the last look (by this process or any other writer sharing the store).
 */
export interface WriteModel {
  readonly state: WriteState;
  /** Reads the store up to its head; resolves with the position reached. */
  catchUp(): Promise<number>;
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
  };
}
