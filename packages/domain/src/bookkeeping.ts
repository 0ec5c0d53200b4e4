import { z } from 'zod';
import { eventSchema, isLedgerEventType } from './events.ts';
import type { JsonFault } from './json.ts';

/**
 * The events the ledger's services record about their own work: not facts of the ledger (no fold
 * reads them), but events of the log all the same, so the store checks them against these schemas
 * before it appends them, like the ledger's events.
 */
const Position = z.number().int().nonnegative();

/** Ingestion: an Idempotency-Key's write, recorded with it on `idempotency:<sha256(key)>`. */
export const IDEMPOTENCY_KEY_RECORDED = 'ingestion.idempotency-key-recorded.v1';
const IdempotencyKeyRecorded = z.object({
  keyHash: z.string().regex(/^[0-9a-f]{64}$/),
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  results: z.array(
    z.object({
      eventId: z.uuid(),
      streamId: z.string().min(1),
      revision: z.number().int().nonnegative(),
      submissionId: z.uuid().optional(),
    }),
  ),
});

/** Scoring: how far it has scored, recorded with the scores on `checkpoint:scoring`. */
export const SCORING_CHECKPOINT_RECORDED = 'scoring.checkpoint-recorded.v1';
const ScoringCheckpointRecorded = z.object({ position: Position });

/** The transparency log: a signed C2SP checkpoint, recorded on `tlog:checkpoints`. */
export const CHECKPOINT_SIGNED = 'tlog.checkpoint-signed.v1';
const CheckpointSigned = z.object({
  origin: z.string().min(1),
  size: Position,
  root: z.string().min(1),
  note: z.string().min(1),
});

/**
 * The transparency log: the key that signs its checkpoints changed, by a rotation (signed by the
 * previous key and the next) or after the previous key was lost (signed by the next only). `note`
 * is the signed key statement (@ledger/transparency-log, key-statement.ts); the other fields repeat
 * what it says, for readers that do not open it.
 */
export const LOG_KEY_ROTATED = 'tlog.key-rotated.v1';
export const LOG_KEY_LOSS_ACKNOWLEDGED = 'tlog.key-loss-acknowledged.v1';
const KeyStatementRecorded = z.object({
  origin: z.string().min(1),
  size: Position,
  root: z.string().min(1),
  /** The verifier key that signs from this statement on. */
  verifierKey: z.string().min(1),
  /** Why, as the statement says. */
  reason: z.string().optional(),
  note: z.string().min(1),
});
const LogKeyRotated = KeyStatementRecorded.extend({ previousKey: z.string().min(1) });
const LogKeyLossAcknowledged = KeyStatementRecorded.extend({ lostKey: z.string().min(1) });

/** Whether an event on `tlog:checkpoints` is a key statement (else it is a checkpoint). */
export const isLogKeyStatement = (type: string): boolean =>
  type === LOG_KEY_ROTATED || type === LOG_KEY_LOSS_ACKNOWLEDGED;

const BOOKKEEPING = new Map<string, z.ZodType>([
  [IDEMPOTENCY_KEY_RECORDED, IdempotencyKeyRecorded],
  [SCORING_CHECKPOINT_RECORDED, ScoringCheckpointRecorded],
  [CHECKPOINT_SIGNED, CheckpointSigned],
  [LOG_KEY_ROTATED, LogKeyRotated],
  [LOG_KEY_LOSS_ACKNOWLEDGED, LogKeyLossAcknowledged],
]);

/**
 * Why the data of an event of a known type does not match its schema (the first issue, its path
 * under `data`), or undefined. Data of a type the ledger does not know is not checked here (the
 * store still checks that it is JSON every reader can hash).
 */
export function eventDataFault(type: string, data: unknown): JsonFault | undefined {
  const schema = isLedgerEventType(type) ? eventSchema(type) : BOOKKEEPING.get(type);
  const result = schema?.safeParse(data);
  if (!result || result.success) return undefined;
  const issue = result.error.issues[0];
  return {
    path: ['data', ...(issue?.path ?? []).map(String)].join('.'),
    message: issue?.message ?? 'is invalid',
  };
}
