import {
  type AppendedEvent,
  type AppendRequest,
  DuplicateEventId,
  type ExpectedRevision,
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

export function satisfies(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'exists':
      return actual >= 0;
    default:
      return actual === expected;
  }
}

/**
 * The idempotency rule. Given what the log holds under each event id of the call (in call order):
 * nothing at all → undefined (a fresh append); every event, in the same streams and order → the
 * original AppendedEvents; anything in between → DuplicateEventId.
 */
export function alreadyRecorded(
  pending: readonly PendingEvent[],
  found: readonly (RecordedRef | undefined)[],
): AppendedEvent[] | undefined {
  const firstRecorded = found.findIndex((ref) => ref !== undefined);
  if (firstRecorded === -1) return undefined;
  if (found.includes(undefined)) {
    const eventId = pending[firstRecorded]?.eventId ?? '';
    throw new DuplicateEventId(eventId, 'is already recorded, but other events of this append are not');
  }
  const events: AppendedEvent[] = [];
  let previous = 0;
  pending.forEach((event, i) => {
    const ref = found[i] as RecordedRef;
    if (ref.stream_id !== event.streamId) {
      throw new DuplicateEventId(event.eventId, `is already recorded in stream ${ref.stream_id}`);
    }
    if (ref.position <= previous) {
      throw new DuplicateEventId(event.eventId, 'is already recorded, in a different order');
    }
    previous = ref.position;
    events.push({
      eventId: event.eventId,
      streamId: ref.stream_id,
      revision: ref.revision,
      position: ref.position,
      recordedAt: ref.recorded_at,
    });
  });
  return events;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Normalizes a requested recordedAt to `toISOString()` form. A string that is not an ISO-8601
 * date-time with an explicit offset is a caller bug, not a conflict with the log: TypeError.
 */
export function normalizeRecordedAt(value: string): string {
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TypeError(`recordedAt must be an ISO-8601 date-time with an offset, got ${String(value)}`);
  }
  return new Date(ms).toISOString();
}

function checkExpectedRevision(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'exists') return;
  if (Number.isInteger(expected) && expected >= -1) return;
  throw new TypeError(`expected revision must be an integer >= -1 or a keyword, got ${String(expected)}`);
}

function toJson(value: unknown, eventId: string, field: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`event ${eventId}: ${field} is not JSON-serializable`);
  return json;
}
