import { DuplicateEventId, RecordedAtConflict } from './errors.ts';
import type { AppendedEvent, AppendOptions, ExpectedRevision } from './port.ts';

/**
 * The append rules every adapter applies, written once: how an expected revision is checked, how
 * an append's recordedAt is chosen, and how a retried call is recognised.
 */

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

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Normalizes a requested instant to `toISOString()` form; anything else is a caller bug: TypeError. */
export function normalizeRecordedAt(value: string): string {
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TypeError(`recordedAt must be an ISO-8601 date-time with an offset, got ${String(value)}`);
  }
  return new Date(ms).toISOString();
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
 * for derived events their input's instant, or the clock; never earlier than the latest. Pure: the
 * caller supplies `nowMs`.
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
