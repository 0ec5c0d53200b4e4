import { COMMANDS, type CommandType, SealLedger } from '@ledger/domain';
import { type Operation, WriteResultSchema } from '@ledger/http';
import { z } from 'zod';

/**
 * The write API's operations (routes.ts), for the OpenAPI document. Each command's body is the
 * domain's own schema (commands.ts), less the fields its path gives.
 */

const RecordedAt = z.string().meta({
  description:
    'Import only (the importer role, on a ledger not yet sealed): the instant to record the write at, ISO-8601 with offset, not before the log’s latest.',
});
const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().meta({
    description:
      'A retry with the same key and body answers what the first call recorded, and writes nothing.',
  }),
});
const WRITE_PROBLEMS = [409, 413, 415, 422];

const withRecordedAt = (schema: z.ZodObject) => schema.extend({ recordedAt: RecordedAt.optional() });

function command(
  type: CommandType,
  path: string,
  summary: string,
  fromPath?: Record<string, z.ZodType>,
): Operation {
  const schema = COMMANDS[type] as z.ZodObject;
  const omitted = fromPath
    ? schema.omit(
        Object.fromEntries(Object.keys(fromPath).map((k) => [k, true])) as Record<string, true> &
          Record<number, never>,
      )
    : schema;
  return {
    method: 'post',
    path,
    summary,
    tag: type.startsWith('api-key') || type.startsWith('grant') || type === 'principal' ? 'access' : 'writes',
    access: 'credential',
    ...(fromPath ? { params: z.object(fromPath) } : {}),
    headers: IdempotencyHeaders,
    body: withRecordedAt(omitted as z.ZodObject),
    responses: { 201: { description: 'Recorded: the event written', schema: WriteResultSchema } },
    problems: fromPath ? [...WRITE_PROBLEMS, 404] : WRITE_PROBLEMS,
  };
}

const BatchCommand = z
  .union(
    Object.entries(COMMANDS).map(([type, body]) =>
      z.strictObject({ type: z.literal(type), body }),
    ) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'Command' });

export const INGESTION_OPERATIONS: readonly Operation[] = [
  command('unit', '/v1/units', 'Register a unit (province, department, district, commune)'),
  command(
    'unit-revision',
    '/v1/units/:unitId/revisions',
    'Revise a unit: rename, move, abolish or merge it',
    {
      unitId: z.string(),
    },
  ),
  command('indicator', '/v1/indicators', 'Define an indicator'),
  command('methodology', '/v1/methodologies', 'Publish a methodology (a new version if it exists)'),
  command('target', '/v1/targets', 'Set a target for an indicator and period (for a unit, or for all)'),
  command('submission', '/v1/submissions', 'Submit a unit’s value of an indicator for a period'),
  command('correction', '/v1/submissions/:submissionId/corrections', 'Correct a submitted value', {
    submissionId: z.uuid(),
  }),
  command('retraction', '/v1/submissions/:submissionId/retractions', 'Retract a submission', {
    submissionId: z.uuid(),
  }),
  command('principal', '/v1/access/principals', 'Register a principal'),
  command('grant', '/v1/access/grants', 'Give a principal a role, for a unit or for all'),
  command('grant-revocation', '/v1/access/grants/:grantId/revocations', 'Revoke a grant', {
    grantId: z.uuid(),
  }),
  {
    method: 'post',
    path: '/v1/access/principals/:principalId/keys',
    summary: 'Issue an API key to a principal: shown this once',
    tag: 'access',
    access: 'credential',
    params: z.object({ principalId: z.string() }),
    body: z.strictObject({ expiresAt: z.iso.datetime({ offset: true }).optional() }),
    responses: {
      201: {
        description: 'The key, and the event recording its issue',
        schema: WriteResultSchema.extend({
          keyId: z.string(),
          key: z
            .string()
            .meta({ description: 'ilk_<16 hex>_<64 hex>: keep it; the ledger keeps only its digest.' }),
          principalId: z.string(),
          expiresAt: z.string().nullable(),
        }),
      },
    },
    problems: [404, 409, 422],
  },
  command('api-key-revocation', '/v1/access/keys/:keyId/revocations', 'Revoke an API key', {
    keyId: z.string(),
  }),
  {
    method: 'post',
    path: '/v1/ops/seal',
    summary: 'Seal the ledger: from then on every write is recorded at the ledger’s clock',
    tag: 'ops',
    access: 'credential',
    body: SealLedger,
    responses: {
      201: { description: 'Sealed now', schema: SealSchema() },
      200: { description: 'Sealed before: the seal recorded then', schema: SealSchema() },
    },
    problems: [409],
  },
  {
    method: 'post',
    path: '/v1/batch',
    summary: 'Record several commands, all or nothing',
    tag: 'writes',
    access: 'credential',
    headers: IdempotencyHeaders,
    body: z.strictObject({
      recordedAt: RecordedAt.optional(),
      commands: z.array(BatchCommand).min(1).max(10_000),
    }),
    responses: {
      201: {
        description: 'Recorded: one event per command, in order',
        schema: z.looseObject({ results: z.array(WriteResultSchema) }),
      },
    },
    problems: WRITE_PROBLEMS,
  },
];

function SealSchema() {
  return z.looseObject({
    sealed: z.literal(true),
    eventId: z.uuid(),
    position: z.number().int(),
    recordedAt: z.string(),
    reason: z.string().nullable(),
    actor: z.string(),
  });
}
