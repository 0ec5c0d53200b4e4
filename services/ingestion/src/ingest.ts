import {
  ACCESS_COMMAND_TYPES,
  type AuthMethod,
  authorize,
  authorizeImport,
  bookkeepingStreams,
  COMMAND_TYPES,
  COMMANDS,
  type Command,
  checksGrants,
  type Decision,
  decide,
  decideTime,
  evolveWriteState,
  forkWriteState,
  invalid,
  isCommandType,
  isSealed,
  ledgerDay,
  Rejection,
  schemaVersionOf,
  toRecordedAt,
  type WriteState,
} from '@ledger/domain';
import {
  type AppendedEvent,
  type AppendOptions,
  type AppendRequest,
  type EventStore,
  WrongExpectedRevision,
} from '@ledger/event-store';
import { invalidInput, type Logger } from '@ledger/http';
import { createGroupCommitQueue, type Pending, settle } from './group-commit.ts';
import { findIdempotencyRecord, idempotencyEvent, idempotencyStream, readRecorded } from './idempotency.ts';
import { newUuidV7 } from './ids.ts';
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
  /** The principal writing, recorded as the actor of each event; its grants authorise each command. */
  readonly actor: string;
  /** How the principal was authenticated (access.ts, AuthMethod): with a credential, its grants authorise each command. */
  readonly auth: AuthMethod;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly submissionAddressedBy: 'body' | 'path';
  /** Seals the ledger with this write (an ops call; time.ts), with the reason given. */
  readonly seal?: { readonly reason: string | null };
}

export interface WriteResult {
  readonly eventId: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: string;
  readonly submissionId?: string;
  readonly grantId?: string;
}

export interface WriteOutcome {
  readonly results: readonly WriteResult[];
  /** True when an Idempotency-Key matched an earlier write, and this answer repeats it. */
  readonly replayed: boolean;
  /** The seal this write recorded: an explicit seal, or the ledger's first write at its clock. */
  readonly seal?: WriteResult;
}

/** The ledger's seal as a write's answer gives it, with its reason. */
export interface SealRecord extends WriteResult {
  readonly reason: string | null;
  readonly actor: string;
}

export interface Ingestion {
  /** Validates, decides and records the commands atomically: all are recorded or none. */
  execute(request: WriteRequest): Promise<WriteOutcome>;
  /** Seals the ledger (time.ts) unless it is sealed already; answers with the seal either way. */
  seal(request: {
    readonly reason: string | null;
    readonly actor: string;
    readonly auth: AuthMethod;
    readonly correlationId: string;
    readonly causationId: string | null;
  }): Promise<{ readonly recorded: boolean; readonly seal: SealRecord }>;
  /** Brings the write model level with the store; call once at start. */
  start(): Promise<void>;
  /** The state writes are decided against, as of the last catch-up: read it, never change it. */
  state(): WriteState;
  /** Brings the state level with the store: what other processes recorded since. */
  catchUp(): Promise<void>;
}

/** The key of an earlier write came with a different request (422, as the IETF Idempotency-Key draft says). */
export class IdempotencyKeyReused extends Rejection {
  constructor() {
    super('key-reused', 'This Idempotency-Key was already used for a different request.', [
      { path: 'Idempotency-Key', message: 'already used for a different request' },
    ]);
    this.name = 'IdempotencyKeyReused';
  }
}

/**
 * An Idempotency-Key is the caller's: the same key from another principal is another key, so no
 * caller is ever answered with another's write.
 */
const scopedKey = (request: WriteRequest): string | undefined =>
  request.idempotencyKey === undefined ? undefined : `${request.actor}\u0000${request.idempotencyKey}`;

/** How often a write is decided again after another writer got in first. */
const MAX_ATTEMPTS = 4;
/** The most writes recorded in one append. */
const MAX_GROUP = 1_000;

/** A write request, parsed, waiting for its turn. */
interface Write {
  readonly request: WriteRequest;
  readonly commands: readonly Command[];
  readonly recordedAt: string | undefined;
  /** Access commands only: on an open ledger, recorded at the log's latest recordedAt (time.ts). */
  readonly access: boolean;
}

/** Asks the store for the log's latest recordedAt (a derived instant before any is never used). */
const AT_THE_LATEST = { derivedFrom: '1970-01-01T00:00:00.000Z' } as const;

/**
 * Which writes may share an append: not an import that sets recordedAt (it applies to the whole
 * append), and not a second write under an idempotency key already in the group (it must see the
 * first one recorded, to answer from it). Kept as the group grows, so a group of n costs n checks.
 */
const admission = () => {
  let opened = false;
  let importing = false;
  const keys = new Set<string>();
  return (next: Write): boolean => {
    if (opened && (importing || next.recordedAt !== undefined || next.access)) return false;
    const key = scopedKey(next.request);
    if (key !== undefined && keys.has(key)) return false;
    if (key !== undefined) keys.add(key);
    importing = next.recordedAt !== undefined || next.access;
    opened = true;
    return true;
  };
};

/**
 * A write decided against the state, ready to append, and how to answer once it is recorded: the
 * seal it records, if any, comes first, then one event per command.
 */
interface Plan {
  readonly requests: readonly AppendRequest[];
  readonly decisions: readonly Decision[];
  readonly seals: boolean;
  /** How the store records it: at the requested recordedAt, at the log's latest, or at the clock. */
  readonly at: AppendOptions;
}

export function createIngestion(deps: {
  store: EventStore;
  logger: Logger;
  newId?: () => string;
  /** The clock, epoch ms: the day a unit registered without validFrom starts. Tests inject it. */
  now?: () => number;
}): Ingestion {
  const { store, logger } = deps;
  const newId = deps.newId ?? newUuidV7;
  const now = deps.now ?? Date.now;
  const model = createWriteModel(store);

  const replay = async (request: WriteRequest): Promise<WriteOutcome | undefined> => {
    const key = scopedKey(request);
    if (!key) return undefined;
    // Called with the model level with the store: a key it has never seen is not there (a racing
    // writer's is refused by the append's expectation on its stream, and then found alone).
    if (!model.keys.mayHold(idempotencyStream(key))) return undefined;
    const record = await findIdempotencyRecord(store, key);
    if (!record) return undefined;
    if (record.requestHash !== request.requestHash) throw new IdempotencyKeyReused();
    const events = await readRecorded(store, record.results);
    const results = events.map((e, i) => resultOf(e, record.results[i]));
    return { results, replayed: true };
  };

  /**
   * Decides the commands against a fork of `state`; only when all are accepted do their events
   * reach `state`, so a later write in the same group sees them and a refused one leaves no trace.
   */
  const plan = ({ request, commands, recordedAt, access }: Write, state: WriteState): Plan => {
    const fork = forkWriteState(state);
    const seal = decideTime(fork, { recordedAt, access, ...(request.seal ? { seal: request.seal } : {}) });
    const at: AppendOptions =
      recordedAt !== undefined ? { recordedAt } : access && !isSealed(fork) ? AT_THE_LATEST : {};
    if (seal) evolveWriteState(fork, seal.streamId, seal.event);
    const ctx = {
      newId,
      submissionAddressedBy: request.submissionAddressedBy,
      today: ledgerDay(recordedAt === undefined ? now() : Date.parse(recordedAt)),
      actor: request.actor,
    };
    const checked = checksGrants(request.auth);
    const day = ledgerDay(now());
    if (checked && recordedAt !== undefined) authorizeImport(request.actor, fork, day);
    const decisions = commands.map((command, i): Decision => {
      try {
        if (checked) authorize(request.actor, command, fork, day);
        const decision = decide(command, fork, ctx);
        evolveWriteState(fork, decision.streamId, decision.event);
        return decision;
      } catch (error) {
        throw error instanceof Rejection && request.pathOf(i) ? error.under(request.pathOf(i)) : error;
      }
    });
    const recorded = seal ? [seal, ...decisions] : decisions;
    for (const d of recorded) evolveWriteState(state, d.streamId, d.event);

    const metadata = {
      actor: request.actor,
      correlationId: request.correlationId,
      causationId: request.causationId,
      auth: request.auth,
    };
    const requests: AppendRequest[] = recorded.map((d) => ({
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
    const key = scopedKey(request);
    if (key) {
      const offset = seal ? 1 : 0;
      const refs = decisions.map((d, i) => ({
        eventId: requests[offset + i]?.events[0]?.eventId as string,
        streamId: d.streamId,
        revision: d.expectedRevision + 1,
        ...(d.submissionId ? { submissionId: d.submissionId } : {}),
        ...(d.grantId ? { grantId: d.grantId } : {}),
      }));
      requests.push({
        streamId: idempotencyStream(key),
        expectedRevision: 'no_stream',
        events: [idempotencyEvent(key, request.requestHash, refs, { eventId: newId(), metadata })],
      });
    }
    return { requests, decisions, seals: seal !== undefined, at };
  };

  const answer = (planned: Plan, appended: readonly AppendedEvent[]): WriteOutcome => {
    const offset = planned.seals ? 1 : 0;
    if (appended.length < offset + planned.decisions.length)
      throw new Error('the store answered with fewer events than were appended');
    const results = planned.decisions.map((d, i) => ({
      ...(appended[offset + i] as AppendedEvent),
      type: d.event.type,
      ...(d.submissionId ? { submissionId: d.submissionId } : {}),
      ...(d.grantId ? { grantId: d.grantId } : {}),
    }));
    const seal = planned.seals
      ? { ...(appended[0] as AppendedEvent), type: planned.requests[0]?.events[0]?.type as string }
      : undefined;
    return { results, replayed: false, ...(seal ? { seal } : {}) };
  };

  /** One write on its own, decided again (up to MAX_ATTEMPTS) when another writer got in first. */
  const executeAlone = async (write: Write): Promise<WriteOutcome> => {
    for (let n = 1; ; n++) {
      try {
        await model.catchUp();
        const earlier = await replay(write.request);
        if (earlier) return earlier;
        const planned = plan(write, forkWriteState(model.state));
        const appended = await store.append(planned.requests, planned.at);
        if (!appended.alreadyRecorded) await model.appended(planned.requests, appended.events);
        return answer(planned, appended.events);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || n >= MAX_ATTEMPTS) throw error;
        logger.info({ streamId: error.streamId, attempt: n }, 'another writer got in first; deciding again');
      }
    }
  };

  /**
   * Group commit: the writes waiting together are decided one after another against one fork of
   * the state and recorded in ONE atomic append (one fsync), each answered with its own events or
   * its own refusal. If that append fails (another writer got in first, or a racing idempotency
   * key), each write is redone on its own, so a group never fails a write that would succeed alone.
   */
  const executeGroup = async (group: readonly Pending<Write, WriteOutcome>[]): Promise<void> => {
    if (group.length === 1) return settle(group[0] as Pending<Write, WriteOutcome>, executeAlone);
    await model.catchUp();
    const state = forkWriteState(model.state);
    const planned: { pending: Pending<Write, WriteOutcome>; plan: Plan }[] = [];
    for (const pending of group) {
      try {
        const earlier = await replay(pending.write.request);
        if (earlier) pending.resolve(earlier);
        else planned.push({ pending, plan: plan(pending.write, state) });
      } catch (error) {
        pending.reject(error);
      }
    }
    if (planned.length === 0) return;
    const requests = planned.flatMap((p) => p.plan.requests);
    let appended: readonly AppendedEvent[];
    try {
      appended = (await store.append(requests)).events;
    } catch (error) {
      logger.info({ err: error, writes: planned.length }, 'group append refused; recording each write alone');
      for (const { pending } of planned) await settle(pending, executeAlone);
      return;
    }
    await model.appended(requests, appended);
    let offset = 0;
    for (const { pending, plan: p } of planned) {
      pending.resolve(answer(p, appended.slice(offset, offset + p.requests.length)));
      offset += p.requests.length;
    }
  };

  const queue = createGroupCommitQueue<Write, WriteOutcome>({
    run: executeGroup,
    admission,
    maxGroup: MAX_GROUP,
  });

  const recordedSeal = async (): Promise<SealRecord | undefined> => {
    const [event] = await store.readStream(bookkeepingStreams.seal, { maxCount: 1 });
    if (!event) return undefined;
    return {
      ...resultOf(event),
      reason: (event.data as { reason: string | null }).reason,
      actor: event.metadata.actor,
    };
  };

  const execute = (request: WriteRequest): Promise<WriteOutcome> => {
    if (request.commands.length === 0 && !request.seal) throw invalid('commands', 'must not be empty');
    const commands = parseCommands(request);
    const recordedAt = parseRecordedAt(request.recordedAt);
    const access = commands.length > 0 && commands.every((c) => ACCESS_COMMAND_TYPES.has(c.type));
    return queue.enqueue({ request, commands, recordedAt, access });
  };

  return {
    start: async () => {
      const position = await model.catchUp();
      logger.info({ position }, 'write model ready');
    },
    seal: async ({ reason, ...who }) => {
      await model.catchUp();
      if (!isSealed(model.state)) {
        try {
          const outcome = await execute({
            ...who,
            commands: [],
            pathOf: () => '',
            requestHash: '',
            submissionAddressedBy: 'body',
            seal: { reason },
          });
          if (outcome.seal) {
            logger.info({ position: outcome.seal.position, actor: who.actor }, 'the ledger is sealed');
            return { recorded: true, seal: { ...outcome.seal, reason, actor: who.actor } };
          }
        } catch (error) {
          // Another writer sealed it first: answer with that seal.
          if (!(error instanceof Rejection && error.kind === 'conflict')) throw error;
        }
      }
      const seal = await recordedSeal();
      if (!seal) throw new Error('the write model says the ledger is sealed, but the log holds no seal');
      return { recorded: false, seal };
    },
    execute,
    state: () => model.state,
    catchUp: async () => {
      await model.catchUp();
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
  ids: { readonly submissionId?: string; readonly grantId?: string } = {},
): WriteResult {
  const { submissionId, grantId } = ids;
  const { eventId, type, streamId, revision, position, recordedAt } = e;
  return {
    eventId,
    type,
    streamId,
    revision,
    position,
    recordedAt,
    ...(submissionId ? { submissionId } : {}),
    ...(grantId ? { grantId } : {}),
  };
}

function parseCommands(request: WriteRequest): Command[] {
  return request.commands.map((raw, i) => {
    const prefix = request.pathOf(i);
    const at = (field: string) => (prefix ? `${prefix.replace(/\.body$/, '')}.${field}` : field);
    if (!isCommandType(raw.type)) throw invalid(at('type'), `must be one of: ${COMMAND_TYPES.join(', ')}`);
    const type = raw.type;
    const parsed = COMMANDS[type].safeParse(raw.body);
    if (!parsed.success) throw invalidInput(parsed.error, prefix || undefined);
    return { type, body: parsed.data } as Command;
  });
}

function parseRecordedAt(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const recordedAt = toRecordedAt(value);
  if (recordedAt === undefined) throw invalid('recordedAt', 'must be an ISO-8601 date-time with a time zone');
  return recordedAt;
}
