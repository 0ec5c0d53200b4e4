import type { EventData, JSONType, RecordedEvent as KurrentRecordedEvent } from '@kurrent/kurrentdb-client';
import { jsonEvent } from '@kurrent/kurrentdb-client';
import type { EventMetadata, RecordedEvent } from '@ledger/domain';
import { CLOCK_EVENT_TYPE, MARKER_EVENT_TYPE } from './naming.ts';

/**
 * What the ledger assigns to an event, carried in the KurrentDB event's metadata. The multi-stream
 * append takes metadata as properties (string keys, string values); reads return them as the JSON
 * metadata object (next to the server's own `$schema.*` entries, which are ignored).
 */
export const PROPERTY = {
  position: 'ledger-position',
  recordedAt: 'ledger-recorded-at',
  schemaVersion: 'ledger-schema-version',
  /** The port's EventMetadata (nested values allowed), as JSON text. */
  metadata: 'ledger-metadata',
} as const;

/** One event of an append, validated and flattened in call order. */
export interface PendingEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** The clock event's data: one per append, on the clock stream, in the same atomic append. */
export interface ClockData {
  /** Ledger position of the append's first event. */
  readonly firstPosition: number;
  /** Ledger position of the append's last event: the head of the log once the append is recorded. */
  readonly lastPosition: number;
  /** The recordedAt of every event of the append: never earlier than the previous clock event's. */
  readonly recordedAt: string;
  /** Set from the append that records the seal on: the log refuses requested recordedAts from then on. */
  readonly sealed?: true;
}

/** The marker's data: where an event id was recorded. One marker stream per event id. */
export interface MarkerData {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
}

export function encodeLedgerEvent(event: PendingEvent, position: number, recordedAt: string): EventData {
  return jsonEvent({
    id: event.eventId,
    type: event.type,
    data: event.data as JSONType,
    metadata: {
      [PROPERTY.position]: String(position),
      [PROPERTY.recordedAt]: recordedAt,
      [PROPERTY.schemaVersion]: String(event.schemaVersion),
      [PROPERTY.metadata]: JSON.stringify(event.metadata),
    },
  });
}

export function encodeClock(data: ClockData): EventData {
  return jsonEvent({ type: CLOCK_EVENT_TYPE, data: { ...data } });
}

export function encodeMarker(data: MarkerData): EventData {
  return jsonEvent({ type: MARKER_EVENT_TYPE, data: { ...data } });
}

/**
 * The ledger event a KurrentDB event holds, or undefined if it holds none (an event written by
 * something else than this adapter). `streamId` is the ledger stream id (namespace removed).
 */
export function decodeLedgerEvent(raw: KurrentRecordedEvent, streamId: string): RecordedEvent | undefined {
  const properties = raw.metadata;
  if (properties === null || typeof properties !== 'object' || properties instanceof Uint8Array)
    return undefined;
  const props = properties as Record<string, unknown>;
  const position = integer(props[PROPERTY.position]);
  const schemaVersion = integer(props[PROPERTY.schemaVersion]);
  const recordedAt = props[PROPERTY.recordedAt];
  const metadataText = props[PROPERTY.metadata];
  if (position === undefined || position < 1 || schemaVersion === undefined) return undefined;
  if (typeof recordedAt !== 'string' || typeof metadataText !== 'string' || !raw.isJson) return undefined;
  let metadata: EventMetadata;
  try {
    metadata = JSON.parse(metadataText) as EventMetadata;
  } catch {
    return undefined;
  }
  return {
    eventId: raw.id,
    type: raw.type,
    schemaVersion,
    streamId,
    revision: Number(raw.revision),
    position,
    recordedAt,
    data: raw.data,
    metadata,
  };
}

export function decodeClock(raw: KurrentRecordedEvent): ClockData {
  const data = raw.data as Partial<ClockData> | undefined;
  const firstPosition = integer(data?.firstPosition);
  const lastPosition = integer(data?.lastPosition);
  if (
    raw.type !== CLOCK_EVENT_TYPE ||
    firstPosition === undefined ||
    lastPosition === undefined ||
    typeof data?.recordedAt !== 'string'
  ) {
    throw new Error(`${raw.streamId}@${raw.revision} is not a ledger clock event (type ${raw.type})`);
  }
  return {
    firstPosition,
    lastPosition,
    recordedAt: data.recordedAt,
    ...(data.sealed === true ? { sealed: true } : {}),
  };
}

export function decodeMarker(raw: KurrentRecordedEvent): MarkerData {
  const data = raw.data as Partial<MarkerData> | undefined;
  const revision = integer(data?.revision);
  const position = integer(data?.position);
  if (
    raw.type !== MARKER_EVENT_TYPE ||
    typeof data?.streamId !== 'string' ||
    revision === undefined ||
    position === undefined ||
    typeof data.recordedAt !== 'string'
  ) {
    throw new Error(`${raw.streamId} is not a ledger event marker (type ${raw.type})`);
  }
  return { streamId: data.streamId, revision, position, recordedAt: data.recordedAt };
}

/** A non-negative safe integer from a number or a decimal string; undefined otherwise. */
function integer(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
