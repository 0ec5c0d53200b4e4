import { Worker } from 'node:worker_threads';
import { type Bus, type Consumer, topics } from '@ledger/bus';
import type { Logger } from '@ledger/http';
import type { ScoringFollower, ScoringState } from './follower.ts';

/** What the thread tells the thread that started it (thread-entry.ts). */
export type FromScoringThread =
  | { readonly kind: 'state' | 'started' | 'stopped'; readonly state: ScoringState }
  | { readonly kind: 'failed'; readonly state: ScoringState; readonly error: string };

/** What the starting thread tells the scoring thread: the log has grown, or stop. */
export type ToScoringThread = 'appended' | 'stop';

export interface ScoringThreadData {
  readonly storePath: string;
  readonly logLevel: string;
  readonly logBindings: Record<string, unknown>;
}

const STOP_TIMEOUT_MS = 10_000;

/**
 * The scoring worker on a worker thread of its own, following a SQLite store with its own
 * connection: the all-in-one server's request thread then only takes the writes and serves the
 * reads, while the other core scores. It is the same worker the scoring service runs (worker.ts).
 * Each batch the bus delivers here tells the thread that the log has grown, so it reads on at once
 * instead of at its next poll; the events themselves it reads from the store.
 *
 * `onAppended` is called when the thread has recorded scores, so that the caller's own connection
 * can wake its subscriptions at once too.
 */
export function createScoringThread(deps: {
  storePath: string;
  bus: Bus;
  logger: Logger;
  onAppended?: () => void;
}): ScoringFollower {
  const { bus, logger } = deps;
  let state: ScoringState = { name: 'scoring', status: 'starting', checkpoint: 0, scoresRecorded: 0 };
  let thread: Worker | undefined;
  let consumer: Consumer | undefined;

  const fail = (error: string) => {
    state = { ...state, status: 'failed', error };
    logger.error({ worker: 'scoring', checkpoint: state.checkpoint, error }, 'scoring stopped');
  };

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const data: ScoringThreadData = {
        storePath: deps.storePath,
        logLevel: logger.level,
        logBindings: logger.bindings(),
      };
      const worker = new Worker(new URL('./thread-entry.ts', import.meta.url), { workerData: data });
      thread = worker;
      worker.on('message', (message: FromScoringThread) => {
        const recorded = message.state.scoresRecorded > state.scoresRecorded;
        state = message.state;
        if (recorded) deps.onAppended?.();
        if (message.kind === 'started') resolve();
        if (message.kind === 'failed') {
          void worker.terminate();
          reject(new Error(message.error));
        }
      });
      worker.on('error', (error) => {
        fail(error.message);
        reject(error);
      });
      worker.on('exit', (code) => {
        thread = undefined;
        if (state.status !== 'stopped' && state.status !== 'failed')
          fail(`the scoring thread exited (${code})`);
        reject(new Error(`the scoring thread exited (${code}) before it was live`));
      });
    });

  return {
    start: async () => {
      consumer = await bus.consume(topics.events, {
        groupId: 'scoring',
        onMessages: () => thread?.postMessage('appended' satisfies ToScoringThread),
      });
      await start();
    },
    state: () => state,
    stop: async () => {
      await consumer?.close();
      const worker = thread;
      if (!worker) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop' satisfies ToScoringThread);
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      if (state.status !== 'failed') state = { ...state, status: 'stopped' };
    },
  };
}
