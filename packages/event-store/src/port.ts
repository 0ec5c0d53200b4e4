import type { EventMetadata, RecordedEvent } from '@ledger/domain';

/**
 * What an append expects of its stream:
 * - a number: the revision of the stream's last event (0-based); -1 means the stream has no events;
 * - 'no_stream': the stream has no events; 'exists': it has at least one; 'any': no check.
 */
export type ExpectedRevision = number | 'no_stream' | 'exists' | 'any';

/** An event as a writer hands it to the store. */
export interface NewEvent {
  /** UUIDv7. Appending an event whose id is already recorded records nothing (see append). */
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface AppendRequest {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
  readonly events: readonly NewEvent[];
}

export interface AppendOptions {
  /**
   * Records the events at this instant (ISO-8601) instead of the store's clock, to import
   * history. Refused (RecordedAtConflict) if before the log's latest recordedAt or in the future.
   */
  readonly recordedAt?: string;
  /**
   * For events derived from others (scores): records them at this instant, the recordedAt of the
   * input they were computed from, or at the log's latest recordedAt if that is later — never at
   * the clock. So derived events keep step with an import of history instead of jumping to now.
   */
  readonly derivedFrom?: string;
}

export interface AppendedEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
}

export interface AppendResult {
  /** One entry per event, in the order given. */
  readonly events: readonly AppendedEvent[];
  /** True when every event was already recorded, so this call recorded nothing. */
  readonly alreadyRecorded: boolean;
}

export interface LogHead {
  /** Position of the last event, 0 for an empty log. */
  readonly position: number;
  readonly recordedAt: string | null;
}

export interface ReadStreamOptions {
  /** Forwards: the first revision to read (default 0). Backwards: the last (default: the stream's end). */
  readonly fromRevision?: number;
  readonly maxCount?: number;
  /** 'backwards' reads from the end of the stream towards its start. */
  readonly direction?: 'forwards' | 'backwards';
}

export interface ReadAllOptions {
  /** Read events with a position strictly greater than this; 0 (the default) reads from the start. */
  readonly after?: number;
  readonly limit?: number;
}

export interface SubscribeOptions {
  /** Deliver events with a position strictly greater than this: the subscriber's checkpoint. */
  readonly after: number;
  /** Called with batches in log order; the next batch waits until the promise settles. */
  readonly onEvents: (events: readonly RecordedEvent[]) => void | Promise<void>;
  /** Called once if delivery stops because onEvents or the store failed. */
  readonly onError?: (error: unknown) => void;
  readonly batchSize?: number;
}

export interface Subscription {
  /** Stops delivery; resolves once no batch is being handled. */
  close(): Promise<void>;
}

/**
 * The event store: an append-only log of streams.
 *
 * append is atomic across all its requests: every event is recorded, or none is. Events get
 * consecutive revisions in their streams and increasing positions in the global log, in the
 * order given; all events of one append share one recordedAt, never earlier than any event
 * before them. Expected revisions are checked in order, each against the stream as the earlier
 * requests of the same call left it.
 *
 * Idempotence is exact, by event id: if every event of a call is already recorded, in the same
 * streams and order, append returns their original positions and records nothing, whatever the
 * expected revisions say; if only some are, it refuses with DuplicateEventId.
 */
export interface EventStore {
  append(requests: readonly AppendRequest[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  head(): Promise<LogHead>;
  subscribe(options: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

/** A position a consumer saved, with the id of the event it handled there. */
export interface SavedCheckpoint {
  readonly position: number;
  /** Absent for a checkpoint saved by a version that did not record it. */
  readonly eventId?: string;
}

/**
 * Where a consumer keeps how far it got, when that cannot live beside its effect. The last saves
 * may be lost to a power loss: consumers are at least once and skip what they already have.
 */
export interface Checkpoints {
  /** The position saved under `name`, 0 if none. */
  load(name: string): Promise<number>;
  /**
   * The last saves under `name` (at most 256), oldest first: a consumer checks them against the log
   * at start, and goes back to the last one the log agrees with (a restored backup, another store).
   */
  trail(name: string): Promise<SavedCheckpoint[]>;
  /** Saves `position`, and the id of the event handled there. */
  save(name: string, position: number, eventId?: string): Promise<void>;
  close(): Promise<void>;
}
