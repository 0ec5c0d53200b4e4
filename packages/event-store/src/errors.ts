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

/** A requested recordedAt would make time go backwards along the log, or lies in the future. */
export class RecordedAtConflict extends Error {
  readonly requested: string;
  readonly bound: string;
  constructor(requested: string, bound: string, reason: 'before-latest' | 'in-future') {
    super(
      reason === 'before-latest'
        ? `recordedAt ${requested} is before the latest recordedAt in the ledger, ${bound}`
        : `recordedAt ${requested} is in the future (now is ${bound})`,
    );
    this.name = 'RecordedAtConflict';
    this.requested = requested;
    this.bound = bound;
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
