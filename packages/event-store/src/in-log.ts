import type { EventStore } from './port.ts';

/**
 * Why the first of some records received from the events topic is no event of the log, or
 * undefined when each has a position at or before the log's head. A record past the head comes
 * from another producer on the topic: waiting for the log to reach it would wedge a follower, and
 * taking its position as a checkpoint would skip the real events up to it.
 */
export async function whyNotInLog(
  store: EventStore,
  records: readonly unknown[],
): Promise<string | undefined> {
  if (records.length === 0) return undefined;
  const head = (await store.head()).position;
  const record = records.find((r) => {
    const position = (r as { position?: unknown } | null)?.position;
    return !(typeof position === 'number' && position <= head);
  }) as { position?: unknown; eventId?: unknown } | null | undefined;
  if (record === undefined) return undefined;
  return `a record on the events topic is not in the log (event ${String(record?.eventId)}, position ${String(record?.position)}, head ${head})`;
}
