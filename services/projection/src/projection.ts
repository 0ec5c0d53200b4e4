import { type Bus, type Consumer, topics } from '@ledger/bus';
import { headPosition, type LedgerIndex, lastAtOrBefore, type RecordedEvent } from '@ledger/domain';
import { type EventStore, FOLD_PAGE_SIZE, readPages, whyNotInLog } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import type { MerkleTree } from '@ledger/transparency-log';
import { openAgreeingReadModel } from './agreement.ts';
import { applyBatch, EventNotApplied, type Generation } from './generation.ts';
import type { LeafHashesAhead, LeafHashesFrom } from './leaf-hashes.ts';
import { createRebuilder, type RebuildState } from './rebuild.ts';
import { createWaiters } from './waiters.ts';

export type { RebuildState } from './rebuild.ts';

export type ProjectionStatus = 'starting' | 'catching-up' | 'live' | 'failed' | 'stopped';

export interface ProjectionState {
  readonly name: string;
  readonly status: ProjectionStatus;
  /** Position of the last event applied. */
  readonly checkpoint: number;
  /** recordedAt of that event. */
  readonly checkpointRecordedAt: string | null;
  /** Why the projection stopped, when it failed. */
  readonly error?: { readonly position: number; readonly eventId: string; readonly message: string };
  readonly rebuild?: RebuildState;
}

/** Named places where a test may kill the process, to prove that a crash anywhere loses nothing. */
export type ProjectionCrashHook = (point: 'mid-batch' | 'after-effect' | 'after-checkpoint') => void;

export interface Projection {
  readonly name: string;
  /** The index reads are served from; a rebuild replaces it. */
  readonly index: LedgerIndex;
  /** The Merkle tree over the events the index holds, in log order. */
  readonly tree: MerkleTree;
  state(): ProjectionState;
  /** The positions of the value events a principal wrote after `after`, ascending (read-model-db.ts). */
  writesBy(actor: string, after: number, limit: number): number[];
  /** Loads what it had persisted, catches up from the store, then follows the events topic. */
  start(): Promise<void>;
  /** Resolves once the projection has applied every event up to `position`; false on timeout or failure. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
  /**
   * Rebuilds the index from the store into a new file while this one keeps serving, then swaps
   * them once the new one has caught up. Resolves when the rebuild has started.
   */
  rebuild(): Promise<RebuildState>;
  stop(): Promise<void>;
}

/**
 * The as-of index projection. It folds every event into the domain's temporal index and persists
 * each batch with its checkpoint. An event it cannot apply stops it where it is: skipping one
 * would make every later replay lie.
 */
export function createProjection(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  /** The SQLite file of the read model. */
  path: string;
  name?: string;
  pageSize?: number;
  crash?: ProjectionCrashHook;
  /** Hashes the log on another thread: during catch-ups and rebuilds, and then live (see leaf-hashes.ts). */
  leafHashesFrom?: LeafHashesFrom;
}): Projection {
  const { store, bus, path } = deps;
  const name = deps.name ?? 'as-of-index';
  const logger = deps.logger.child({ projection: name });
  const pageSize = deps.pageSize ?? FOLD_PAGE_SIZE;
  const crash = deps.crash ?? (() => undefined);
  let current: Generation | undefined;
  let status: ProjectionStatus = 'starting';
  let error: ProjectionState['error'];
  let consumer: Consumer | undefined;
  /** Hashes live batches on another thread (see leaf-hashes.ts), once the projection follows the log. */
  let liveHashes: LeafHashesAhead | undefined;
  let batches = 0;
  /** Why the events consumer stopped for good, if it did. */
  let unfollowed: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const waiters = createWaiters();

  /** Live batches, catch-up pages and the swap of a rebuild run one at a time, in order. */
  const serial = <T>(fn: () => T | Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const live = (): Generation => {
    if (!current) throw new Error(`projection ${name} has not started`);
    return current;
  };

  const notify = () => waiters.notify(current ? headPosition(current.index) : 0, status === 'failed');

  const applyLive = (events: readonly RecordedEvent[], ahead?: LeafHashesAhead) => {
    if (status === 'failed') return;
    try {
      applyBatch(live(), events, { crash, ahead });
    } catch (e) {
      halt(
        e instanceof EventNotApplied ? e.failure : { message: (e as Error).message },
        'an event could not be applied',
        e,
      );
    }
    notify();
  };

  /** Stops applying live batches, with the reason ops and /readyz show (at the checkpoint unless given). */
  const halt = (
    why: { position?: number; eventId?: string; message: string },
    what: string,
    err?: unknown,
  ): void => {
    status = 'failed';
    error = {
      position: why.position ?? (current ? headPosition(current.index) : 0),
      eventId: why.eventId ?? '',
      message: why.message,
    };
    logger.error({ ...(err === undefined ? {} : { err }), ...error }, `projection stopped: ${what}`);
    notify();
  };

  /** Live batches, hashed on the thread that follows the log when there is one. */
  const applyFollowing = async (events: readonly RecordedEvent[]) => {
    const last = events.at(-1);
    if (!last) return;
    const refused = await whyNotInLog(store, events);
    if (refused) {
      await serial(() => {
        if (status !== 'failed') halt({ message: refused }, 'a record on the events topic is not in the log');
      });
      return;
    }
    await liveHashes?.reach(last.position);
    await serial(() => applyLive(events, liveHashes));
  };

  /** Reads the store after the generation's checkpoint up to the head, page by page. */
  const catchUp = async (gen: Generation, progress: (position: number, head: number) => void) => {
    const head = (await store.head()).position;
    let lastLog = Date.now();
    const after = headPosition(gen.index);
    const ahead = after < head ? deps.leafHashesFrom?.(after) : undefined;
    try {
      for await (const events of readPages(store, after, pageSize)) {
        await ahead?.reach((events.at(-1) as RecordedEvent).position);
        await serial(() => (gen === current ? applyLive(events, ahead) : applyBatch(gen, events, { ahead })));
        if (status === 'failed' && gen === current) return;
        if (Date.now() - lastLog > 1_000) {
          lastLog = Date.now();
          progress(headPosition(gen.index), head);
        }
      }
    } finally {
      await ahead?.stop();
    }
  };

  const recordedAtOf = (index: LedgerIndex, position: number) => {
    const ms = index.recordedAtMs.at(lastAtOrBefore(index.positions, position));
    return ms === undefined ? null : new Date(ms).toISOString();
  };

  const rebuilds = createRebuilder({
    store,
    path,
    pageSize,
    logger,
    current: live,
    serial,
    catchUp,
    adopt: (next) => {
      current = next;
      // A rebuild clears a failure to apply an event, not a consumer that stopped: it stays failed.
      if (status === 'failed' && !unfollowed) {
        status = 'live';
        error = undefined;
      }
    },
    swapped: notify,
  });

  return {
    name,
    get index() {
      return live().index;
    },
    get tree() {
      return live().tree;
    },
    writesBy: (actor, after, limit) => live().db.writesBy(actor, after, limit),
    state: () => {
      const index = current?.index;
      const checkpoint = index ? headPosition(index) : 0;
      const rebuild = rebuilds.state();
      return {
        name,
        status,
        checkpoint,
        checkpointRecordedAt: index ? recordedAtOf(index, checkpoint) : null,
        ...(error ? { error } : {}),
        ...(rebuild ? { rebuild } : {}),
      };
    },
    start: async () => {
      current = await openAgreeingReadModel({ store, path, logger });
      status = 'catching-up';
      // Subscribe first so nothing published during the catch-up is missed; duplicates are skipped.
      const buffered: RecordedEvent[] = [];
      let following = false;
      consumer = await bus.consume(topics.events, {
        groupId: `projection-${name}`,
        onMessages: async (messages) => {
          if (batches++ > 0) crash('after-checkpoint');
          const events = messages.map((m) => m.value as RecordedEvent);
          if (!following) buffered.push(...events);
          else await applyFollowing(events);
        },
        onError: (e) => {
          // The consumer gave up (the bus said so): nothing more will arrive, so ops and /readyz must not say live.
          unfollowed = `stopped following the events topic: ${(e as Error).message}`;
          halt({ message: unfollowed }, 'events consumer stopped', e);
        },
      });
      await catchUp(live(), (position, head) => logger.info({ position, head }, 'catching up'));
      following = true;
      liveHashes = deps.leafHashesFrom?.(headPosition(live().index), { follow: true });
      await applyFollowing(buffered.splice(0));
      if ((status as ProjectionStatus) !== 'failed') status = 'live';
      logger.info({ checkpoint: headPosition(live().index) }, 'projection live');
    },
    waitFor: (position, timeoutMs) => {
      if (current && headPosition(current.index) >= position) return Promise.resolve(true);
      if (status === 'failed') return Promise.resolve(false);
      return waiters.wait(position, timeoutMs);
    },
    rebuild: async () => rebuilds.start(),
    stop: async () => {
      await consumer?.close();
      await queue;
      await liveHashes?.stop();
      if (status !== 'failed') status = 'stopped';
      current?.db.close();
      waiters.cancelAll();
    },
  };
}
