import { z } from 'zod';

/** The shapes several services answer with, for the OpenAPI document (openapi.ts). */

const Instant = z.string().meta({ description: 'An ISO-8601 instant, e.g. 2024-01-15T09:00:00.000Z.' });

/** An event as the log records it: the envelope every reader and the transparency log's leaves take. */
export const RecordedEventSchema = z
  .looseObject({
    eventId: z.uuid(),
    type: z.string(),
    schemaVersion: z.number().int(),
    streamId: z.string(),
    revision: z.number().int().min(0),
    position: z.number().int().min(1),
    recordedAt: Instant,
    data: z.record(z.string(), z.unknown()),
    metadata: z
      .looseObject({
        actor: z.string(),
        correlationId: z.string(),
        causationId: z.string().nullable(),
        auth: z.looseObject({ method: z.string() }).optional(),
      })
      .meta({ description: 'Who wrote it (the authenticated principal) and how, and its correlation.' }),
  })
  .meta({ id: 'RecordedEvent' });

/** What a write recorded: one event per command. */
export const WriteResultSchema = z
  .looseObject({
    eventId: z.uuid(),
    type: z.string(),
    streamId: z.string(),
    revision: z.number().int().min(0),
    position: z.number().int().min(1),
    recordedAt: Instant,
    submissionId: z
      .uuid()
      .optional()
      .meta({ description: 'A submission’s id: corrections and retractions name it.' }),
  })
  .meta({ id: 'WriteResult' });

/** The tree an answer was computed from: its size and RFC 9162 root (base64). */
export const LogStampSchema = z
  .looseObject({ size: z.number().int().min(0), root: z.string() })
  .meta({ id: 'LogStamp' });

/** What an as-of answer says about the instant and the log it was computed at. */
export const AsOfStamp = {
  asOf: Instant.meta({
    description: 'The instant answered as of (now, if the one asked for is in the future).',
  }),
  sealed: z.boolean().meta({
    description:
      'Whether the ledger was sealed at that instant: if not, an import may still change the answer.',
  }),
  recordedAt: Instant.nullable().meta({
    description: 'The recordedAt of the last event the answer includes.',
  }),
  position: z.number().int().min(0).meta({ description: 'The log position the answer was computed at.' }),
};

export const ProjectionStateSchema = z.looseObject({
  name: z.string(),
  status: z.string().meta({ description: 'live, catching-up, rebuilding, failed, …' }),
  checkpoint: z.number().int().min(0),
  checkpointRecordedAt: Instant.nullable().optional(),
});
