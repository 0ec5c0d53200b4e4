import { headPosition, Rejection } from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { applyBatch, type Generation } from './generation.ts';
import { openReadModelDb, removeReadModel } from './read-model-db.ts';

export interface RebuildState {
  readonly status: 'running' | 'done' | 'failed';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly checkpoint: number;
  readonly error?: string;
}

/**
 * Rebuilds a projection's read model from the store while the current generation keeps serving:
 * the new generation is folded into a file of its own beside the live one and swapped in only once
 * it has caught up, so reads never see a half-built index and a rebuild that fails leaves the old
 * one serving.
 */
export interface Rebuilder {
  /** The last rebuild's state, if there was one. */
  state(): RebuildState | undefined;
  /** Starts a rebuild and returns its state then; throws a conflict Rejection while one is running. */
  start(): RebuildState;
}

export function createRebuilder(deps: {
  store: EventStore;
  /** The live read model's file: the new generation is built beside it and then moved onto it. */
  path: string;
  pageSize: number;
  logger: Logger;
  /** The generation serving now. */
  current(): Generation;
  /** Runs `fn` in the projection's queue of live batches and catch-up pages, in turn with them. */
  serial(fn: () => Promise<void>): Promise<void>;
  /** Brings a generation from its checkpoint up to the store's head, with progress now and then. */
  catchUp(gen: Generation, progress: (position: number, head: number) => void): Promise<void>;
  /** Serves `next` from now on: called in the queue, with the old file closed and the new one in its place. */
  adopt(next: Generation): void;
  /** Called once the rebuild is done and says so: waiters may have been reached. */
  swapped(): void;
}): Rebuilder {
  const { store, path, pageSize, logger } = deps;
  let state: RebuildState | undefined;

  const run = async () => {
    const nextPath = `${path}.rebuild`;
    removeReadModel(nextPath);
    const db = openReadModelDb(nextPath);
    const next: Generation = { ...db.load(), db };
    const started = Date.now();
    const progress = (position: number, head: number) => {
      state = { ...(state as RebuildState), checkpoint: position };
      logger.info(
        { position, head, percent: head ? Math.floor((100 * position) / head) : 100 },
        'rebuilding',
      );
    };
    try {
      await deps.catchUp(next, progress);
      // Swap in the queue, so no live batch runs between the last catch-up page and the swap.
      await deps.serial(async () => {
        for await (const rest of readPages(store, headPosition(next.index), pageSize)) applyBatch(next, rest);
        deps.current().db.close();
        // The new index and tree read from their file: it moves, and they keep reading it.
        next.db.moveTo(path);
        deps.adopt(next);
      });
      state = {
        ...(state as RebuildState),
        status: 'done',
        finishedAt: new Date().toISOString(),
        checkpoint: headPosition(next.index),
      };
      logger.info({ checkpoint: headPosition(next.index), ms: Date.now() - started }, 'rebuilt and swapped');
      deps.swapped();
    } catch (e) {
      next.db.close();
      state = {
        ...(state as RebuildState),
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: (e as Error).message,
      };
      logger.error({ err: e }, 'rebuild failed; the old index keeps serving');
    }
  };

  return {
    state: () => state,
    start: () => {
      if (state?.status === 'running') throw new Rejection('conflict', 'a rebuild is already running');
      state = { status: 'running', startedAt: new Date().toISOString(), checkpoint: 0 };
      void run();
      return state;
    },
  };
}
