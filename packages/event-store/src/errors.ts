import type { ExpectedRevision } from './port.ts';

/** The stream was not where the writer expected it: someone else wrote first. */
export class WrongExpectedRevision extends Error {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  /** Revision of the stream's last event, -1 for none. */
  readonly actual: number;
  constructor(streamId: string, expected: ExpectedRevision, actual: number) {
    super(`stream ${streamId} is at revision ${actual}, expected ${String(expected)}`);
    this.name = 'WrongExpectedRevision';
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

export type RecordedAtConflictReason = 'before-latest' | 'in-future' | 'sealed';

/**
 * A requested recordedAt would make time go backwards along the log, lies in the future, or was
 * asked of a sealed log (one that holds an event on `ledger:seal`: every append is then recorded
 * at the clock).
 */
export class RecordedAtConflict extends Error {
  readonly requested: string;
  readonly bound: string;
  readonly reason: RecordedAtConflictReason;
  constructor(requested: string, bound: string, reason: RecordedAtConflictReason) {
    super(
      reason === 'before-latest'
        ? `recordedAt ${requested} is before the latest recordedAt in the ledger, ${bound}`
        : reason === 'in-future'
          ? `recordedAt ${requested} is in the future (now is ${bound})`
          : `recordedAt ${requested} is refused: the ledger is sealed, and every write is recorded at its clock (now ${bound})`,
    );
    this.name = 'RecordedAtConflict';
    this.requested = requested;
    this.bound = bound;
    this.reason = reason;
  }
}

/**
 * An event no reader of the log could take: not JSON that can be hashed and read back exactly, or
 * a known type whose data does not match its schema. Nothing of the append is recorded. For a writer
 * it is a bug: the door let through what the log refuses, or a derived event came out wrong.
 */
export class InvalidEvent extends TypeError {
  readonly eventId: string;
  readonly path: string;
  constructor(eventId: string, type: string, path: string, detail: string) {
    super(`event ${eventId} (${type}) cannot be recorded: ${path ? `${path} ` : ''}${detail}`);
    this.name = 'InvalidEvent';
    this.eventId = eventId;
    this.path = path;
  }
}

/** Some but not all events of an append are already recorded, or recorded elsewhere. */
export class DuplicateEventId extends Error {
  readonly eventId: string;
  constructor(eventId: string, detail: string) {
    super(`event ${eventId} ${detail}`);
    this.name = 'DuplicateEventId';
    this.eventId = eventId;
  }
}
