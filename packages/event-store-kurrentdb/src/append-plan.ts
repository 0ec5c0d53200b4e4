import { NO_STREAM } from '@kurrent/kurrentdb-client';
import {
  type AppendedEvent,
  type AppendRequest,
  checkAppend,
  satisfies,
  alreadyRecorded as sharedAlreadyRecorded,
  WrongExpectedRevision,
} from '@ledger/event-store';

export { assignRecordedAt, normalizeRecordedAt, satisfies } from '@ledger/event-store';

import type { MarkerData, PendingEvent } from './codec.ts';
import { checkEventType, checkStreamId } from './naming.ts';

/**
 * Flattens the requests in call order. Refuses, before anything is read or written, what the shared
 * rules refuse (checkAppend) and the stream ids and event types this adapter reserves.
 */
export function flatten(requests: readonly AppendRequest[]): PendingEvent[] {
  checkAppend(requests);
  const pending: PendingEvent[] = [];
  for (const request of requests) {
    checkStreamId(request.streamId);
    for (const event of request.events) {
      checkEventType(event.type);
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

/** The idempotency rule (see @ledger/event-store), read from the markers of the call's event ids. */
export const alreadyRecorded = (
  pending: readonly PendingEvent[],
  markers: readonly (MarkerData | undefined)[],
): AppendedEvent[] | undefined =>
  sharedAlreadyRecorded(
    pending,
    markers.map((marker, i) => marker && { ...marker, eventId: pending[i]?.eventId ?? '' }),
  );
