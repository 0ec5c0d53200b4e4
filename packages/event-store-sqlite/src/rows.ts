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

/**
 * The event of a row. Its data and metadata are parsed when first read, not before: a reader that
 * skips an event by its type (ingestion's write model skips scores, a third of the log) does not
 * pay for parsing it. They are own enumerable properties like any other, so spreading, JSON and
 * structured clone see them.
 */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  let data: unknown;
  let dataJson: string | undefined = row.data;
  let metadata: EventMetadata | undefined;
  let metadataJson: string | undefined = row.metadata;
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    recordedAt: row.recorded_at,
    get data() {
      if (dataJson !== undefined) {
        data = JSON.parse(dataJson);
        dataJson = undefined;
      }
      return data;
    },
    get metadata() {
      if (metadataJson !== undefined) {
        metadata = JSON.parse(metadataJson) as EventMetadata;
        metadataJson = undefined;
      }
      return metadata as EventMetadata;
    },
  };
}
