import { bookkeepingStreams, eventDataFault, notPlainJson, toRecordedAt } from '@ledger/domain';
import { DuplicateEventId, InvalidEvent, RecordedAtConflict } from './errors.ts';
import type { AppendedEvent, AppendOptions, AppendRequest, ExpectedRevision, NewEvent } from './port.ts';

/**
 * The append rules every adapter applies, written once: what may be appended at all, how an
 * expected revision is checked, how an append's recordedAt is chosen, and how a retried call is
 * recognised.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A name the log keeps (a stream id, a type): a short, well-formed string without controls. */
function checkName(value: unknown, what: string, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !value.isWellFormed())
    throw new TypeError(`${what} must be a well-formed string of 1–${max} characters, got ${String(value)}`);
  if (CONTROL.test(value)) throw new TypeError(`${what} must not contain control characters`);
}

/**
 * Refuses what no reader of the log could take, before anything is read or written: an event
 * whose data or metadata is not plain JSON (a lone surrogate, a non-finite number, a class
 * instance, nesting deeper than 64 levels), a known type whose data does not match its schema
 * (InvalidEvent); and, as caller bugs (TypeError), malformed expected revisions, stream ids, types,
 * event ids (UUIDs) and schema versions. The same event id twice in one call is a DuplicateEventId.
 */
export function checkAppend(requests: readonly AppendRequest[]): void {
  const seen = new Set<string>();
  for (const request of requests) {
    checkExpectedRevision(request.expectedRevision);
    checkName(request.streamId, 'a stream id', 512);
    for (const event of request.events) {
      if (typeof event.eventId !== 'string' || !UUID.test(event.eventId))
        throw new TypeError(`event id ${String(event.eventId)} is not a UUID`);
      const key = event.eventId.toLowerCase();
      if (seen.has(key)) throw new DuplicateEventId(event.eventId, 'appears twice in one append');
      seen.add(key);
      checkEvent(event);
    }
  }
}

function checkEvent(event: NewEvent): void {
  const { eventId, type } = event;
  checkName(type, `event ${eventId}: the type`, 256);
  if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 0)
    throw new TypeError(`event ${eventId}: schemaVersion must be a non-negative integer`);
  if (event.data === undefined) throw new InvalidEvent(eventId, type, 'data', 'is missing');
  const data = notPlainJson(event.data);
  if (data)
    throw new InvalidEvent(eventId, type, ['data', data.path].filter(Boolean).join('.'), data.message);
  const { metadata } = event;
  const meta = notPlainJson(metadata);
  if (meta)
    throw new InvalidEvent(eventId, type, ['metadata', meta.path].filter(Boolean).join('.'), meta.message);
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    typeof metadata.actor !== 'string' ||
    typeof metadata.correlationId !== 'string' ||
    !(metadata.causationId === null || typeof metadata.causationId === 'string')
  )
    throw new InvalidEvent(eventId, type, 'metadata', 'must hold actor, correlationId and causationId');
  const schema = eventDataFault(type, event.data);
  if (schema) throw new InvalidEvent(eventId, type, schema.path, schema.message);
}

/** Whether an append writes the seal (the first event of `ledger:seal`: requested recordedAts are refused from then on). */
export const sealsTheLog = (requests: readonly AppendRequest[]): boolean =>
  requests.some((r) => r.streamId === bookkeepingStreams.seal && r.events.length > 0);

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

/** A malformed expected revision is a caller bug: TypeError. */
export function checkExpectedRevision(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'exists') return;
  if (Number.isInteger(expected) && expected >= -1) return;
  throw new TypeError(`expected revision must be an integer >= -1 or a keyword, got ${String(expected)}`);
}

/** Normalizes a requested instant to `toISOString()` form; anything else is a caller bug: TypeError. */
export function normalizeRecordedAt(value: string): string {
  const normalized = toRecordedAt(value);
  if (normalized === undefined)
    throw new TypeError(`recordedAt must be an ISO-8601 date-time with an offset, got ${String(value)}`);
  return normalized;
}

/** The append options' instants, normalized (a malformed one is a TypeError before anything is read). */
export const normalizeAppendOptions = (options: AppendOptions | undefined) => ({
  requestedAt: options?.recordedAt === undefined ? undefined : normalizeRecordedAt(options.recordedAt),
  derivedFrom: options?.derivedFrom === undefined ? undefined : normalizeRecordedAt(options.derivedFrom),
});

export type RecordedAtDecision =
  | { readonly recordedAt: string; readonly conflict?: undefined }
  | { readonly recordedAt?: undefined; readonly conflict: RecordedAtConflict };

/**
 * The recordedAt of an append, given the latest in the log: the requested instant (imports), or
 * for derived events their input's instant, or the clock; never earlier than the latest. A sealed
 * log refuses a requested instant. Pure: the caller supplies `nowMs` and whether the log is sealed.
 */
export function assignRecordedAt(options: {
  readonly latest: string | null;
  readonly nowMs: number;
  readonly requestedAt?: string | undefined;
  readonly derivedFrom?: string | undefined;
  readonly sealed?: boolean;
}): RecordedAtDecision {
  const { latest, nowMs, requestedAt, derivedFrom } = options;
  if (requestedAt !== undefined && options.sealed)
    return { conflict: new RecordedAtConflict(requestedAt, new Date(nowMs).toISOString(), 'sealed') };
  const latestMs = latest === null ? Number.NEGATIVE_INFINITY : Date.parse(latest);
  if (derivedFrom !== undefined) {
    return { recordedAt: new Date(Math.max(Date.parse(derivedFrom), latestMs)).toISOString() };
  }
  if (requestedAt === undefined) return { recordedAt: new Date(Math.max(nowMs, latestMs)).toISOString() };
  const requestedMs = Date.parse(requestedAt);
  if (latest !== null && requestedMs < latestMs) {
    return { conflict: new RecordedAtConflict(requestedAt, latest, 'before-latest') };
  }
  if (requestedMs > nowMs) {
    return { conflict: new RecordedAtConflict(requestedAt, new Date(nowMs).toISOString(), 'in-future') };
  }
  return { recordedAt: requestedAt };
}

/**
 * The idempotency rule. Given what the log already holds under each event id of a call (in call
 * order): nothing at all → undefined (a fresh append); every event, in the same streams and order →
 * the original events; anything in between → DuplicateEventId.
 */
export function alreadyRecorded(
  pending: readonly { readonly eventId: string; readonly streamId: string }[],
  found: readonly (AppendedEvent | undefined)[],
): AppendedEvent[] | undefined {
  const firstRecorded = found.findIndex((ref) => ref !== undefined);
  if (firstRecorded === -1) return undefined;
  if (found.includes(undefined)) {
    const eventId = pending[firstRecorded]?.eventId ?? '';
    throw new DuplicateEventId(eventId, 'is already recorded, but other events of this append are not');
  }
  let previous = 0;
  return pending.map((event, i) => {
    const ref = found[i] as AppendedEvent;
    if (ref.streamId !== event.streamId) {
      throw new DuplicateEventId(event.eventId, `is already recorded in stream ${ref.streamId}`);
    }
    if (ref.position <= previous) {
      throw new DuplicateEventId(event.eventId, 'is already recorded, in a different order');
    }
    previous = ref.position;
    return { ...ref, eventId: event.eventId };
  });
}
