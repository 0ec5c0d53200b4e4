import { type AppendedEvent, type AppendRequest, checkAppend } from '@ledger/event-store';

/** One event of an append, flattened and serialized before the write lock is taken. */
export interface PendingEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: string;
  readonly metadata: string;
}

/** What the store already holds under an event id. */
export interface RecordedRef {
  position: number;
  stream_id: string;
  revision: number;
  recorded_at: string;
}

export const appendedOf = (eventId: string, ref: RecordedRef): AppendedEvent => ({
  eventId,
  streamId: ref.stream_id,
  revision: ref.revision,
  position: ref.position,
  recordedAt: ref.recorded_at,
});

/**
 * Flattens the requests in order, once the shared rules (checkAppend) have refused, before the log
 * is touched, what no log state could accept.
 */
export function flatten(requests: readonly AppendRequest[]): PendingEvent[] {
  checkAppend(requests);
  const pending: PendingEvent[] = [];
  for (const request of requests) {
    for (const event of request.events) {
      pending.push({
        eventId: event.eventId,
        streamId: request.streamId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      });
    }
  }
  return pending;
}
