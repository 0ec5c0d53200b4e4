import type { RecordedEvent } from '@ledger/domain';
import type { EventStore } from './port.ts';

/**
 * Events per page when a consumer folds the log (catch-ups, rebuilds, starts). Smaller pages fold
 * faster here: a page's parsed events stay within the CPU's caches and die young. At 3 M events,
 * 1,000 against 5,000: scoring's fold 155 k against 138 k events/s and 35 MB less at its peak; the
 * projection's rebuild 59–62 k against 55–57 k events/s (docs/benchmarks.md, "Measured choices").
 */
export const FOLD_PAGE_SIZE = 1_000;

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
