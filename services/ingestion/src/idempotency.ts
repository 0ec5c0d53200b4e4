import { createHash } from 'node:crypto';
import {
  bookkeepingStreams,
  IDEMPOTENCY_KEY_RECORDED,
  invalid,
  type RecordedEvent,
  tooDeep,
} from '@ledger/domain';
import type { EventStore, NewEvent } from '@ledger/event-store';

/**
 * Idempotency keys are recorded in the log itself: the write appends, in the same atomic append,
 * an event on the stream `idempotency:<sha256(key)>` expecting that stream not to exist. A retry
 * finds the stream and answers from it; two racing first attempts cannot both be recorded.
 */

export interface RecordedRef {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  readonly submissionId?: string;
  readonly grantId?: string;
}

export interface IdempotencyRecord {
  readonly keyHash: string;
  readonly requestHash: string;
  readonly results: readonly RecordedRef[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const idempotencyStream = (key: string) => bookkeepingStreams.idempotency(sha256(key));

/**
 * A stable hash of what was asked: the route and the body with keys sorted. A body nested too
 * deeply for any command is refused here, before anything walks it (a 400).
 */
export function requestHash(route: string, body: unknown): string {
  const deep = tooDeep(body);
  if (deep) throw invalid(deep.path, deep.message);
  return sha256(`${route}\n${canonical(body)}`);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyEvent(
  key: string,
  hash: string,
  results: readonly RecordedRef[],
  base: Omit<NewEvent, 'type' | 'schemaVersion' | 'data'>,
): NewEvent {
  const data: IdempotencyRecord = { keyHash: sha256(key), requestHash: hash, results };
  return { ...base, type: IDEMPOTENCY_KEY_RECORDED, schemaVersion: 1, data };
}

export async function findIdempotencyRecord(
  store: EventStore,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const [event] = await store.readStream(idempotencyStream(key), { maxCount: 1 });
  return event?.data as IdempotencyRecord | undefined;
}

/** The events a recorded write produced, read back from their streams. */
export async function readRecorded(
  store: EventStore,
  refs: readonly RecordedRef[],
): Promise<RecordedEvent[]> {
  return Promise.all(
    refs.map(async (ref) => {
      const [event] = await store.readStream(ref.streamId, { fromRevision: ref.revision, maxCount: 1 });
      if (!event || event.eventId !== ref.eventId)
        throw new Error(`idempotency record points at a missing event ${ref.eventId}`);
      return event;
    }),
  );
}
