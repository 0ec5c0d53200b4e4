import { join } from 'node:path';
import { indexAccess, type ModuleContext, type Mounted } from '@ledger/runtime';
import { sqliteLeafHashes } from './leaf-hashes.ts';
import { startTransparencyLog } from './log-routes.ts';
import { createProjection } from './projection.ts';
import { readRouter } from './routes.ts';
import { verifyReplayInSeparateProcess } from './verify-replay.ts';

/**
 * The projection module: follows the log into the as-of index, serves the read API and the
 * transparency log. On a SQLite store it also hashes the log on another thread, and answers
 * verify-replay by running the CLI against this process (the CLI reads SQLite stores only; elsewhere
 * the endpoint says it is not configured).
 */
export async function mountProjection(ctx: ModuleContext): Promise<Mounted> {
  const { store, bus, logger, stateDir, storeLocation } = ctx;
  const sqlite = storeLocation.kind === 'sqlite' ? storeLocation : undefined;
  const projection = createProjection({
    store,
    bus,
    logger: logger.child({ module: 'projection' }),
    path: join(stateDir, 'projection.sqlite'),
    crash: ctx.crash,
    ...(sqlite ? { leafHashesFrom: sqliteLeafHashes(sqlite.path, logger) } : {}),
  });
  await projection.start();
  const log = await startTransparencyLog({
    projection,
    store,
    bus,
    stateDir,
    origin: ctx.transparencyLog.origin,
    intervalSeconds: ctx.transparencyLog.intervalSeconds,
    logger,
  });
  const verifyReplay = sqlite
    ? (request: { methodologyId: string; period: string; asOf?: string }) =>
        verifyReplayInSeparateProcess({ ...request, store: `sqlite:${sqlite.path}`, url: ctx.selfUrl() })
    : undefined;
  return {
    routers: [readRouter({ projection, store, ...(verifyReplay ? { verifyReplay } : {}) }), log.router],
    projections: [projection],
    access: indexAccess(
      () => projection.index,
      async () => void (await projection.waitFor((await store.head()).position, 5_000)),
    ),
    stop: async () => {
      log.checkpointer.stop();
      await projection.stop();
    },
  };
}
