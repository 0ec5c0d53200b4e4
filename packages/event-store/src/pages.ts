import type { RecordedEvent } from '@ledger/domain';
import type { EventStore } from './port.ts';

/**
 * The log after a position, page by page, up to the head as it stands when a page comes back
 * short: how every consumer catches up from the store.
 */
export async function* readPages(
  store: EventStore,
  after: number,
  pageSize: number,
): AsyncGenerator<RecordedEvent[], void, undefined> {
  for (let from = after; ; ) {
    const page = await store.readAll({ after: from, limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    from = (page.at(-1) as RecordedEvent).position;
  }
}
