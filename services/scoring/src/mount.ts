import { indexAccess, type ModuleContext, type Mounted } from '@ledger/runtime';
import { createScoringFollower, type ScoringFollower } from './follower.ts';
import { createScoringThread } from './thread.ts';

export interface ScoringOptions {
  /**
   * Where scoring runs.
   * - `'this-thread'` (default): on the process's own thread, over the context's store.
   * - `'own-thread'`: on a worker thread with a connection of its own to the SQLite file, so that a
   *   process that also takes writes and serves reads keeps a core for them. Needs a SQLite store.
   */
  readonly on?: 'this-thread' | 'own-thread';
  /** With `'own-thread'`: called when the thread has recorded scores, so this thread's connection wakes its subscriptions at once. */
  readonly onAppended?: () => void;
}

/** The scoring module: follows the log and appends the scores that changed. */
export async function mountScoring(ctx: ModuleContext, options: ScoringOptions = {}): Promise<Mounted> {
  const { storeLocation, store, bus } = ctx;
  const logger = ctx.logger.child({ module: 'scoring' });
  let scoring: ScoringFollower;
  if (options.on === 'own-thread') {
    if (storeLocation.kind !== 'sqlite') throw new Error('scoring on its own thread needs a SQLite store');
    scoring = createScoringThread({
      storePath: storeLocation.path,
      bus,
      logger,
      ...(options.onAppended ? { onAppended: options.onAppended } : {}),
    });
  } else
    scoring = createScoringFollower({
      store: ctx.metrics.countAppends(store, 'scoring'),
      bus,
      logger,
      crash: ctx.crash,
    });
  await scoring.start();
  const { index } = scoring;
  return {
    routers: [],
    workers: [scoring],
    ...(index ? { access: indexAccess(() => index) } : {}),
    stop: () => scoring.stop(),
  };
}
