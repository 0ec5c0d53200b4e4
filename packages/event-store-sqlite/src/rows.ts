import type { EventMetadata, RecordedEvent } from '@ledger/domain';

/** An `events` row as node:sqlite returns it. */
export interface EventRow {
  position: number;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  schema_version: number;
  recorded_at: string;
  data: string;
  metadata: string;
}

export const EVENT_COLUMNS =
  'position, event_id, stream_id, revision, type, schema_version, recorded_at, data, metadata';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    recordedAt: row.recorded_at,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as EventMetadata,
  };
}
