import { type Bus, type Consumer, topics } from '@ledger/bus';
import {
  type FactVersion,
  foldRecorded,
  headPosition,
  type LedgerIndex,
  lastAtOrBefore,
  type RecordedEvent,
} from '@ledger/domain';
import { type EventStore, FOLD_PAGE_SIZE, notInLog, readPages } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { bytesEqual, eventLeafHash, type MerkleTree } from '@ledger/transparency-log';
import type { LeafHashesAhead, LeafHashesFrom } from './leaf-hashes.ts';
import { type LogEntry, openReadModelDb, type ReadModelDb, removeReadModel } from './read-model-db.ts';

export type ProjectionStatus = 'starting' | 'catching-up' | 'live' | 'failed' | 'stopped';

export interface RebuildState {
  readonly status: 'running' | 'done' | 'failed';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly checkpoint: number;
  readonly error?: string;
}

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

interface Generation {
  readonly index: LedgerIndex;
  /** The RFC 9162 Merkle tree over the log: leaf i is the i-th event (index.positions.at(i)). */
  readonly tree: MerkleTree;
  readonly db: ReadModelDb;
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
  let rebuildState: RebuildState | undefined;
  let consumer: Consumer | undefined;
  /** Hashes live batches on another thread (see leaf-hashes.ts), once the projection follows the log. */
  let liveHashes: LeafHashesAhead | undefined;
  let batches = 0;
  /** Why the events consumer stopped for good, if it did. */
  let unfollowed: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const waiters = new Set<{ position: number; resolve: (ok: boolean) => void }>();

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

  const notify = () => {
    const head = current ? headPosition(current.index) : 0;
    for (const w of waiters)
      if (status === 'failed' || head >= w.position) {
        waiters.delete(w);
        w.resolve(status !== 'failed');
      }
  };

  /**
   * Applies events in order to a generation and commits them with the checkpoint; events already
   * applied (redeliveries) are skipped. Throws, after committing what came before it, at an event
   * that cannot be applied.
   */
  const applyTo = (
    gen: Generation,
    events: readonly RecordedEvent[],
    hooks = false,
    ahead?: LeafHashesAhead,
  ): void => {
    const versions: FactVersion[] = [];
    const log: LogEntry[] = [];
    gen.index.journal = versions;
    let failed: ProjectionState['error'];
    try {
      const fresh = events.filter((e) => e.position > headPosition(gen.index));
      for (const [i, event] of fresh.entries()) {
        if (hooks && i === Math.floor(fresh.length / 2) && i > 0) crash('mid-batch');
        try {
          foldRecorded(gen.index, event);
          const leafHash = ahead?.take(event.position) ?? eventLeafHash(event);
          const leaf = gen.tree.append(leafHash);
          log.push({ leaf, position: event.position, recordedAtMs: Date.parse(event.recordedAt), leafHash });
        } catch (e) {
          failed = { position: event.position, eventId: event.eventId, message: (e as Error).message };
          break;
        }
      }
    } finally {
      gen.index.journal = undefined;
    }
    if (log.length > 0)
      gen.db.commit(versions, log, headPosition(gen.index), hooks ? () => crash('after-effect') : undefined);
    if (failed) throw Object.assign(new Error(failed.message), { failed });
  };

  const applyLive = (events: readonly RecordedEvent[], ahead?: LeafHashesAhead) => {
    if (status === 'failed') return;
    try {
      applyTo(live(), events, true, ahead);
    } catch (e) {
      halt(
        (e as { failed?: ProjectionState['error'] }).failed ?? { message: (e as Error).message },
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
    const refused = await notInLog(store, events);
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
        await serial(() => (gen === current ? applyLive(events, ahead) : applyTo(gen, events, false, ahead)));
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

  /**
   * Why a loaded read model is not a prefix of the log, if it is not: its last event must be the
   * log's event at that position. It is not when the log was restored from an older backup, or
   * when a power loss took the log's last commits but not the read model's.
   */
  const disagreementWithLog = async (gen: Omit<Generation, 'db'>): Promise<string | undefined> => {
    const checkpoint = headPosition(gen.index);
    if (checkpoint === 0) return undefined;
    const [event] = await store.readAll({ after: checkpoint - 1, limit: 1 });
    if (event?.position !== checkpoint) return `the log has no event at position ${checkpoint}`;
    if (!bytesEqual(eventLeafHash(event), gen.tree.leafHash(gen.tree.size - 1)))
      return `the log's event at position ${checkpoint} is not the one the read model applied`;
    return undefined;
  };

  /** Opens the persisted read model, or a new one in its place if it disagrees with the log. */
  const openCurrent = async (): Promise<Generation> => {
    const db = openReadModelDb(path);
    const loaded = db.load();
    const disagreement = await disagreementWithLog(loaded);
    if (disagreement === undefined) {
      logger.info({ checkpoint: loaded.checkpoint, path }, 'read model loaded');
      return { index: loaded.index, tree: loaded.tree, db };
    }
    logger.warn(
      { checkpoint: loaded.checkpoint, path, reason: disagreement },
      'read model dropped: it does not match the log; rebuilding it from the log',
    );
    db.close();
    removeReadModel(path);
    const fresh = openReadModelDb(path);
    return { ...fresh.load(), db: fresh };
  };

  const recordedAtOf = (index: LedgerIndex, position: number) => {
    const ms = index.recordedAtMs.at(lastAtOrBefore(index.positions, position));
    return ms === undefined ? null : new Date(ms).toISOString();
  };

  const runRebuild = async () => {
    const nextPath = `${path}.rebuild`;
    removeReadModel(nextPath);
    const db = openReadModelDb(nextPath);
    const next: Generation = { ...db.load(), db };
    const started = Date.now();
    const progress = (position: number, head: number) => {
      rebuildState = { ...(rebuildState as RebuildState), checkpoint: position };
      logger.info(
        { position, head, percent: head ? Math.floor((100 * position) / head) : 100 },
        'rebuilding',
      );
    };
    try {
      await catchUp(next, progress);
      // Swap in the queue, so no live batch runs between the last catch-up page and the swap.
      await serial(async () => {
        for await (const rest of readPages(store, headPosition(next.index), pageSize)) applyTo(next, rest);
        live().db.close();
        // The new index and tree read from their file: it moves, and they keep reading it.
        next.db.moveTo(path);
        current = next;
        // A rebuild clears a failure to apply an event, not a consumer that stopped: it stays failed.
        if (status === 'failed' && !unfollowed) {
          status = 'live';
          error = undefined;
        }
      });
      rebuildState = {
        ...(rebuildState as RebuildState),
        status: 'done',
        finishedAt: new Date().toISOString(),
        checkpoint: headPosition(next.index),
      };
      logger.info({ checkpoint: headPosition(next.index), ms: Date.now() - started }, 'rebuilt and swapped');
      notify();
    } catch (e) {
      next.db.close();
      rebuildState = {
        ...(rebuildState as RebuildState),
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: (e as Error).message,
      };
      logger.error({ err: e }, 'rebuild failed; the old index keeps serving');
    }
  };

  return {
    name,
    get index() {
      return live().index;
    },
    get tree() {
      return live().tree;
    },
    state: () => {
      const index = current?.index;
      const checkpoint = index ? headPosition(index) : 0;
      return {
        name,
        status,
        checkpoint,
        checkpointRecordedAt: index ? recordedAtOf(index, checkpoint) : null,
        ...(error ? { error } : {}),
        ...(rebuildState ? { rebuild: rebuildState } : {}),
      };
    },
    start: async () => {
      current = await openCurrent();
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
      return new Promise((resolve) => {
        const waiter = {
          position,
          resolve: (ok: boolean) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    rebuild: async () => {
      if (rebuildState?.status === 'running')
        throw Object.assign(new Error('a rebuild is already running'), { status: 409 });
      rebuildState = { status: 'running', startedAt: new Date().toISOString(), checkpoint: 0 };
      void runRebuild();
      return rebuildState;
    },
    stop: async () => {
      await consumer?.close();
      await queue;
      await liveHashes?.stop();
      if (status !== 'failed') status = 'stopped';
      current?.db.close();
      for (const w of waiters) w.resolve(false);
      waiters.clear();
    },
  };
}
