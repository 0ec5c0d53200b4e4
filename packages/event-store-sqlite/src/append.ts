import {
  type AppendedEvent,
  type AppendRequest,
  checkExpectedRevision,
  DuplicateEventId,
} from '@ledger/event-store';

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
 * Flattens the requests in order. Refuses, before touching the log, what no log state could accept:
 * malformed expected revisions, unserializable data, and the same event id twice in one call.
 */
export function flatten(requests: readonly AppendRequest[]): PendingEvent[] {
  const pending: PendingEvent[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    checkExpectedRevision(request.expectedRevision);
    for (const event of request.events) {
      if (seen.has(event.eventId)) throw new DuplicateEventId(event.eventId, 'appears twice in one append');
      seen.add(event.eventId);
      pending.push({
        eventId: event.eventId,
        streamId: request.streamId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: toJson(event.data, event.eventId, 'data'),
        metadata: toJson(event.metadata, event.eventId, 'metadata'),
      });
    }
  }
  return pending;
}

function toJson(value: unknown, eventId: string, field: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`event ${eventId}: ${field} is not JSON-serializable`);
  return json;
}
