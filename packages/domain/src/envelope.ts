/** Who wrote an event and in answer to what. */
export interface EventMetadata {
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly [extra: string]: unknown;
}

/** An event as the ledger recorded it: the body plus everything the log assigned. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  /** UUIDv7, chosen by the writer; appending the same id twice records it once. */
  readonly eventId: string;
  readonly type: Type;
  readonly schemaVersion: number;
  readonly streamId: string;
  /** 0-based position of the event within its stream. */
  readonly revision: number;
  /** Position in the global log, strictly increasing in commit order. */
  readonly position: number;
  /** When the ledger learned the event (system time), ISO-8601 UTC; never goes backwards along the log. */
  readonly recordedAt: string;
  readonly data: Data;
  readonly metadata: EventMetadata;
}
