import { type Bus, type Consumer, topics } from '@ledger/bus';
import {
  bookkeepingStreams,
  headPosition,
  type LedgerIndex,
  type RecordedEvent,
  SCORING_CHECKPOINT_RECORDED,
} from '@ledger/domain';
import {
  type AppendRequest,
  type EventStore,
  FOLD_PAGE_SIZE,
  InvalidEvent,
  readPages,
  whyNotInLog,
} from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { deterministicUuidV7 } from './deterministic-id.ts';
import { createScorer } from './scorer.ts';

export type ScoringStatus = 'starting' | 'catching-up' | 'live' | 'failed' | 'stopped';

export interface ScoringState {
  readonly name: 'scoring';
  readonly status: ScoringStatus;
  /** Every event up to this position has been scored. */
  readonly checkpoint: number;
  readonly scoresRecorded: number;
  readonly error?: string;
}

/** Named places where a test may kill the process, to prove that a crash anywhere loses nothing. */
export type CrashHook = (point: 'mid-batch' | 'after-effect' | 'after-checkpoint') => void;

export interface ScoringFollower {
  /** The index scoring folds, where it runs on this thread (its principals authenticate ops requests). */
  readonly index?: LedgerIndex;
  start(): Promise<void>;
  state(): ScoringState;
  stop(): Promise<void>;
}

/**
 * Scoring cannot go past an event of the log: one it cannot fold (written by an earlier version
 * that accepted it), or one whose scores the store refuses (a methodology published before the door
 * bounded its numbers can make a total overflow). It stops there, naming the event, rather than
 * skip it or record a score no reader could take; it does not exit, so that it says why on
 * /readyz and /v1/ops/projections instead of starting again and stopping at the same place.
 */
export class ScoringHalted extends Error {
  readonly position: number;
  constructor(event: RecordedEvent | undefined, why: string, cause: unknown) {
    super(
      `scoring stopped at the event at position ${event?.position ?? '?'} (${event?.type ?? 'unknown'} ${event?.eventId ?? ''}): ${why}`,
      { cause },
    );
    this.name = 'ScoringHalted';
    this.position = event?.position ?? 0;
  }
}

function refusedScore(
  error: InvalidEvent,
  requests: readonly AppendRequest[],
  inputs: readonly RecordedEvent[],
): ScoringHalted {
  const score = requests.flatMap((r) => r.events).find((e) => e.eventId === error.eventId);
  const input = inputs.find((e) => e.eventId === score?.metadata.causationId);
  return new ScoringHalted(input, `its scores cannot be recorded: ${error.message}`, error);
}

/** Runs a fold of one event; a failure is the event's: scoring halts there. */
function applying<T>(event: RecordedEvent, fold: () => T): T {
  try {
    return fold();
  } catch (error) {
    throw new ScoringHalted(event, `it cannot be applied: ${(error as Error).message}`, error);
  }
}

/**
 * The scoring service. It follows the log and, whenever an input changes (a value, a correction,
 * a retraction, a target, a methodology or an indicator revision), appends the scores that changed
 * as `ledger.score-computed.v1` events, computed as of the input's position.
 *
 * Its checkpoint lives in the log: each append carries the scores and a checkpoint event on
 * `checkpoint:scoring`, expecting that stream's revision, so the effect and the checkpoint are
 * recorded together or not at all, and a second scoring instance is fenced off. Score event ids
 * derive from their input, so redone work is recorded once.
 */
export function createScoringFollower(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  crash?: CrashHook;
  pageSize?: number;
}): ScoringFollower {
  const { store, bus } = deps;
  const logger = deps.logger.child({ worker: 'scoring' });
  const crash = deps.crash ?? (() => undefined);
  const pageSize = deps.pageSize ?? FOLD_PAGE_SIZE;
  const scorer = createScorer();
  const { index } = scorer;
  let scoredUpTo = 0;
  let checkpointRevision = -1;
  let status: ScoringStatus = 'starting';
  let error: string | undefined;
  let scoresRecorded = 0;
  let batches = 0;
  let consumer: Consumer | undefined;

  /** Scores every input after the checkpoint, then records the scores that changed with the new checkpoint. */
  const score = async (events: readonly RecordedEvent[]) => {
    const fresh = events.filter((e) => e.position > scoredUpTo);
    if (fresh.length === 0) return;
    const requests: AppendRequest[] = [];
    let derivedFrom: string | undefined;
    // One event at a time: each input is scored against the ledger exactly as it stood at its position.
    fresh.forEach((input, i) => {
      if (i === Math.floor(fresh.length / 2)) crash('mid-batch');
      const scores = applying(input, () => scorer.score(input));
      if (scores.length > 0) derivedFrom = input.recordedAt;
      requests.push(...scores);
    });
    const last = fresh.at(-1) as RecordedEvent;
    if (requests.length > 0) {
      requests.push({
        streamId: bookkeepingStreams.scoringCheckpoint,
        expectedRevision: checkpointRevision,
        events: [
          {
            eventId: deterministicUuidV7(Date.parse(last.recordedAt), `${last.eventId}|checkpoint`),
            type: SCORING_CHECKPOINT_RECORDED,
            schemaVersion: 1,
            data: { position: last.position },
            metadata: {
              actor: 'scoring',
              correlationId: last.metadata.correlationId,
              causationId: last.eventId,
            },
          },
        ],
      });
      const appended = await store
        .append(requests, derivedFrom ? { derivedFrom } : {})
        .catch((error: unknown) => {
          throw error instanceof InvalidEvent ? refusedScore(error, requests, fresh) : error;
        });
      checkpointRevision = (appended.events.at(-1) as { revision: number }).revision;
      scoresRecorded += requests.length - 1;
      crash('after-effect');
    }
    scoredUpTo = last.position;
  };

  const fail = (e: unknown) => {
    status = 'failed';
    error = (e as Error).message;
    logger.error({ err: e, checkpoint: scoredUpTo }, 'scoring stopped');
  };

  /**
   * Stops at an event scoring cannot go past: it stays failed and reads nothing more. The consumer
   * is closed on the next turn, since this may run inside its handler.
   */
  const halt = (e: ScoringHalted) => {
    fail(e);
    setImmediate(() => void consumer?.close().catch(() => undefined));
  };

  const catchUp = async () => {
    const [checkpoint] = await store.readStream(bookkeepingStreams.scoringCheckpoint, {
      direction: 'backwards',
      maxCount: 1,
    });
    scoredUpTo = (checkpoint?.data as { position: number } | undefined)?.position ?? 0;
    checkpointRevision = checkpoint?.revision ?? -1;
    const head = (await store.head()).position;
    logger.info({ checkpoint: scoredUpTo, head }, 'scoring catching up');
    let lastLog = Date.now();
    for await (const events of readPages(store, headPosition(index), pageSize)) {
      for (const e of events) if (e.position <= scoredUpTo) applying(e, () => scorer.fold(e));
      await score(events);
      if (Date.now() - lastLog > 1_000) {
        lastLog = Date.now();
        logger.info({ position: headPosition(index), head }, 'scoring catching up');
      }
    }
  };

  return {
    index,
    start: async () => {
      status = 'catching-up';
      const buffered: RecordedEvent[] = [];
      let live = false;
      let queue = Promise.resolve();
      consumer = await bus.consume(topics.events, {
        groupId: 'scoring',
        onMessages: async (messages) => {
          if (status === 'failed') return;
          if (batches++ > 0) crash('after-checkpoint');
          const events = messages.map((m) => m.value as RecordedEvent);
          const refused = await whyNotInLog(store, events);
          if (refused) throw new Error(refused);
          if (!live) {
            buffered.push(...events);
            return;
          }
          queue = queue.then(() => score(events));
          try {
            await queue;
          } catch (e) {
            if (!(e instanceof ScoringHalted)) throw e;
            halt(e);
          }
        },
        onError: fail,
      });
      try {
        await catchUp();
        live = true;
        queue = queue.then(() => score(buffered.splice(0)));
        await queue;
        status = 'live';
        logger.info({ checkpoint: scoredUpTo }, 'scoring live');
      } catch (e) {
        if (e instanceof ScoringHalted) return halt(e);
        fail(e);
        throw e;
      }
    },
    state: () => ({
      name: 'scoring',
      status,
      checkpoint: scoredUpTo,
      scoresRecorded,
      ...(error ? { error } : {}),
    }),
    stop: async () => {
      await consumer?.close();
      if (status !== 'failed') status = 'stopped';
    },
  };
}
