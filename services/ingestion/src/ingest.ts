import {
  COMMANDS,
  type Command,
  type Decision,
  decide,
  evolveWriteState,
  forkWriteState,
  invalid,
  RecordedAtSchema,
  Rejection,
  schemaVersionOf,
} from '@ledger/domain';
import { type AppendRequest, type EventStore, WrongExpectedRevision } from '@ledger/event-store';
import { invalidInput, type Logger } from '@ledger/http';
import { v7 as uuidv7 } from 'uuid';
import { findIdempotencyRecord, idempotencyEvent, idempotencyStream, readRecorded } from './idempotency.ts';
import { createWriteModel } from './write-model.ts';

/** A command as it arrives: a type and an unchecked body. */
export interface RawCommand {
  readonly type: unknown;
  readonly body: unknown;
}

export interface WriteRequest {
  readonly commands: readonly RawCommand[];
  /** Field-path prefix of command i in error reports ('' for a single write). */
  readonly pathOf: (i: number) => string;
  readonly recordedAt?: unknown;
  readonly idempotencyKey?: string;
  /** Hash of what was asked, so that a key reused for a different request is refused. */
  readonly requestHash: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly submissionAddressedBy: 'body' | 'path';
}

export interface WriteResult {
  readonly eventId: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
  readonly submissionId?: string;
}

export interface WriteOutcome {
  readonly results: readonly WriteResult[];
  /** True when an Idempotency-Key matched an earlier write, and this answer repeats it. */
  readonly replayed: boolean;
}

export interface Ingestion {
  /** Validates, decides and records the commands atomically: all are recorded or none. */
  execute(request: WriteRequest): Promise<WriteOutcome>;
  /** Brings the write model level with the store; call once at start. */
  start(): Promise<void>;
}

/** The key of an earlier write came with a different request (422, as the IETF Idempotency-Key draft says). */
export class IdempotencyKeyReused extends Error {
  readonly status = 422;
  readonly errors = [{ path: 'Idempotency-Key', message: 'already used for a different request' }];
  constructor() {
    super('This Idempotency-Key was already used for a different request.');
    this.name = 'IdempotencyKeyReused';
  }
}

/** How often a write is decided again after another writer got in first. */
const MAX_ATTEMPTS = 4;

export function createIngestion(deps: {
  store: EventStore;
  logger: Logger;
  newId?: () => string;
}): Ingestion {
  const { store, logger } = deps;
  const newId = deps.newId ?? uuidv7;
  const model = createWriteModel(store);
  let queue: Promise<unknown> = Promise.resolve();

  /** Writes from this process run one at a time; other writers are caught by expected revisions. */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const replay = async (request: WriteRequest, key: string): Promise<WriteOutcome | undefined> => {
    const record = await findIdempotencyRecord(store, key);
    if (!record) return undefined;
    if (record.requestHash !== request.requestHash) throw new IdempotencyKeyReused();
    const events = await readRecorded(store, record.results);
    const results = events.map((e, i) => resultOf(e, record.results[i]?.submissionId));
    return { results, replayed: true };
  };

  const attempt = async (request: WriteRequest, commands: readonly Command[], recordedAt?: string) => {
    await model.catchUp();
    if (request.idempotencyKey) {
      const earlier = await replay(request, request.idempotencyKey);
      if (earlier) return earlier;
    }
    const fork = forkWriteState(model.state);
    const ctx = { newId, submissionAddressedBy: request.submissionAddressedBy };
    const decisions = commands.map((command, i): Decision => {
      try {
        const decision = decide(command, fork, ctx);
        evolveWriteState(fork, decision.streamId, decision.event);
        return decision;
      } catch (error) {
        throw error instanceof Rejection && request.pathOf(i) ? error.under(request.pathOf(i)) : error;
      }
    });

    const metadata = {
      actor: request.actor,
      correlationId: request.correlationId,
      causationId: request.causationId,
    };
    const requests: AppendRequest[] = decisions.map((d) => ({
      streamId: d.streamId,
      expectedRevision: d.expectedRevision,
      events: [
        {
          eventId: newId(),
          type: d.event.type,
          schemaVersion: schemaVersionOf(d.event.type),
          data: d.event.data,
          metadata,
        },
      ],
    }));
    if (request.idempotencyKey) {
      const refs = requests.map((r, i) => ({
        eventId: r.events[0]?.eventId as string,
        streamId: r.streamId,
        revision: (decisions[i] as Decision).expectedRevision + 1,
        ...(decisions[i]?.submissionId ? { submissionId: decisions[i]?.submissionId } : {}),
      }));
      requests.push({
        streamId: idempotencyStream(request.idempotencyKey),
        expectedRevision: 'no_stream',
        events: [
          idempotencyEvent(request.idempotencyKey, request.requestHash, refs, { eventId: newId(), metadata }),
        ],
      });
    }
    const appended = await store.append(requests, recordedAt ? { recordedAt } : {});
    const results = decisions.map((d, i) => {
      const e = appended.events[i];
      if (!e) throw new Error('the store answered with fewer events than were appended');
      return { ...e, type: d.event.type, ...(d.submissionId ? { submissionId: d.submissionId } : {}) };
    });
    return { results, replayed: false };
  };

  return {
    start: async () => {
      const position = await model.catchUp();
      logger.info({ position }, 'write model ready');
    },
    execute: (request) => {
      const commands = parseCommands(request);
      const recordedAt = parseRecordedAt(request.recordedAt);
      return serialized(async () => {
        for (let n = 1; ; n++) {
          try {
            return await attempt(request, commands, recordedAt);
          } catch (error) {
            if (!(error instanceof WrongExpectedRevision) || n >= MAX_ATTEMPTS) throw error;
            logger.info(
              { streamId: error.streamId, attempt: n },
              'another writer got in first; deciding again',
            );
          }
        }
      });
    },
  };
}

function resultOf(
  e: {
    eventId: string;
    type: string;
    streamId: string;
    revision: number;
    position: number;
    recordedAt: string;
  },
  submissionId?: string,
): WriteResult {
  const { eventId, type, streamId, revision, position, recordedAt } = e;
  return {
    eventId,
    type,
    streamId,
    revision,
    position,
    recordedAt,
    ...(submissionId ? { submissionId } : {}),
  };
}

function parseCommands(request: WriteRequest): Command[] {
  return request.commands.map((raw, i) => {
    const prefix = request.pathOf(i);
    const at = (field: string) => (prefix ? `${prefix.replace(/\.body$/, '')}.${field}` : field);
    if (typeof raw.type !== 'string' || !(raw.type in COMMANDS))
      throw invalid(at('type'), `must be one of: ${Object.keys(COMMANDS).join(', ')}`);
    const type = raw.type as keyof typeof COMMANDS;
    const parsed = COMMANDS[type].safeParse(raw.body);
    if (!parsed.success) throw invalidInput(parsed.error, prefix || undefined);
    return { type, body: parsed.data } as Command;
  });
}

function parseRecordedAt(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const parsed = RecordedAtSchema.safeParse(value);
  if (!parsed.success) throw invalid('recordedAt', 'must be an ISO-8601 date-time with a time zone');
  return parsed.data;
}
