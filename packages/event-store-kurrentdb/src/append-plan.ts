import { NO_STREAM } from '@kurrent/kurrentdb-client';
import {
  type AppendedEvent,
  type AppendRequest,
  DuplicateEventId,
  type ExpectedRevision,
  RecordedAtConflict,
  WrongExpectedRevision,
} from '@ledger/event-store';
import type { MarkerData, PendingEvent } from './codec.ts';
import { checkEventType, checkStreamId } from './naming.ts';

/** KurrentDB takes event ids as UUIDs; the port's are UUIDv7. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Flattens the requests in call order. Refuses, before anything is read or written, what no state of
 * the log could accept: malformed expected revisions, stream ids or event types the adapter reserves,
 * ids that are not UUIDs, data that is not JSON, and the same event id twice in one call.
 */
export function flatten(requests: readonly AppendRequest[]): PendingEvent[] {
  const pending: PendingEvent[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    checkExpectedRevision(request.expectedRevision);
    checkStreamId(request.streamId);
    for (const event of request.events) {
      if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) {
        throw new TypeError(`event id ${String(event.eventId)} is not a UUID`);
      }
      const key = event.eventId.toLowerCase();
      if (seen.has(key)) throw new DuplicateEventId(event.eventId, 'appears twice in one append');
      seen.add(key);
      checkEventType(event.type);
      if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 0) {
        throw new TypeError(`event ${event.eventId}: schemaVersion must be a non-negative integer`);
      }
      checkJson(event.data, event.eventId, 'data');
      checkJson(event.metadata, event.eventId, 'metadata');
      pending.push({
        eventId: event.eventId,
        streamId: request.streamId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: event.metadata,
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
 * Checks the expected revisions in call order, each against the stream as the earlier requests of
 * the call left it, given each stream's current revision (-1: no events). Returns the first refusal.
 */
export function firstRefusal(
  requests: readonly AppendRequest[],
  current: ReadonlyMap<string, number>,
): WrongExpectedRevision | undefined {
  const revisions = new Map(current);
  for (const request of requests) {
    const revision = revisions.get(request.streamId) ?? -1;
    if (!satisfies(request.expectedRevision, revision)) {
      return new WrongExpectedRevision(request.streamId, request.expectedRevision, revision);
    }
    revisions.set(request.streamId, revision + request.events.length);
  }
  return undefined;
}

/**
 * The expected state sent to the server for a stream the adapter has just read at `revision`.
 * Every stream of an append is checked at its exact revision, whatever the caller expected: the port's
 * 'any' and 'exists' are decided here, against that revision, and the exact check makes the server
 * refuse the append if the stream moved since. A refusal is then re-read and re-decided, so the
 * caller sees the port's semantics, evaluated at commit time.
 */
export function exactState(revision: number): typeof NO_STREAM | bigint {
  return revision < 0 ? NO_STREAM : BigInt(revision);
}

export interface AppendPlan {
  readonly events: AppendedEvent[];
  /** Per KurrentDB-bound stream (first appearance order): the revision it was read at, and its events' indexes. */
  readonly streams: Map<string, { readonly revision: number; readonly indexes: number[] }>;
  readonly firstPosition: number;
  readonly lastPosition: number;
}

/** Revisions, positions (dense, from the clock's last position) and the one recordedAt of an append. */
export function planAppend(
  pending: readonly PendingEvent[],
  current: ReadonlyMap<string, number>,
  lastPosition: number,
  recordedAt: string,
): AppendPlan {
  const streams = new Map<string, { revision: number; indexes: number[] }>();
  const next = new Map<string, number>();
  const events = pending.map((event, i): AppendedEvent => {
    const before = next.get(event.streamId) ?? current.get(event.streamId) ?? -1;
    let stream = streams.get(event.streamId);
    if (stream === undefined) {
      stream = { revision: current.get(event.streamId) ?? -1, indexes: [] };
      streams.set(event.streamId, stream);
    }
    stream.indexes.push(i);
    next.set(event.streamId, before + 1);
    return {
      eventId: event.eventId,
      streamId: event.streamId,
      revision: before + 1,
      position: lastPosition + 1 + i,
      recordedAt,
    };
  });
  return { events, streams, firstPosition: lastPosition + 1, lastPosition: lastPosition + pending.length };
}

export type RecordedAtDecision =
  | { readonly recordedAt: string; readonly conflict?: undefined }
  | { readonly recordedAt?: undefined; readonly conflict: RecordedAtConflict };

/**
 * The recordedAt of an append, given the latest in the log (from the clock stream, read in the same
 * optimistic transaction): the requested instant (imports), or for derived events their input's
 * instant, or the clock; never earlier than the latest. Pure: the caller supplies `nowMs`.
 */
export function assignRecordedAt(options: {
  readonly latest: string | null;
  readonly nowMs: number;
  readonly requestedAt?: string | undefined;
  readonly derivedFrom?: string | undefined;
}): RecordedAtDecision {
  const { latest, nowMs, requestedAt, derivedFrom } = options;
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
 * The idempotency rule, from the markers of the call's event ids (in call order): no marker → a fresh
 * append (undefined); every event, in the same streams and order → the original AppendedEvents;
 * anything in between → DuplicateEventId.
 */
export function alreadyRecorded(
  pending: readonly PendingEvent[],
  markers: readonly (MarkerData | undefined)[],
): AppendedEvent[] | undefined {
  const firstRecorded = markers.findIndex((marker) => marker !== undefined);
  if (firstRecorded === -1) return undefined;
  if (markers.includes(undefined)) {
    const eventId = pending[firstRecorded]?.eventId ?? '';
    throw new DuplicateEventId(eventId, 'is already recorded, but other events of this append are not');
  }
  let previous = 0;
  return pending.map((event, i) => {
    const marker = markers[i] as MarkerData;
    if (marker.streamId !== event.streamId) {
      throw new DuplicateEventId(event.eventId, `is already recorded in stream ${marker.streamId}`);
    }
    if (marker.position <= previous) {
      throw new DuplicateEventId(event.eventId, 'is already recorded, in a different order');
    }
    previous = marker.position;
    return {
      eventId: event.eventId,
      streamId: marker.streamId,
      revision: marker.revision,
      position: marker.position,
      recordedAt: marker.recordedAt,
    };
  });
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Normalizes a requested instant to `toISOString()` form; anything else is a caller bug: TypeError. */
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

function checkJson(value: unknown, eventId: string, field: string): void {
  if (JSON.stringify(value) === undefined) {
    throw new TypeError(`event ${eventId}: ${field} is not JSON-serializable`);
  }
}
