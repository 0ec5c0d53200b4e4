import { join } from 'node:path';
import { indexAccess, type ModuleContext, type Mounted } from '@ledger/runtime';
import { LOG_OPERATIONS, READ_OPERATIONS } from './api.ts';
import { CATALOG_OPERATIONS } from './catalog-api.ts';
import { sqliteLeafHashes } from './leaf-hashes.ts';
import { startTransparencyLog } from './log-routes.ts';
import { createProjection } from './projection.ts';
import { startRefusalsJournal } from './refusals.ts';
import { readRouter } from './routes.ts';
import { verifyReplayInSeparateProcess } from './verify-replay.ts';

/**
 * The projection module: follows the log into the as-of index, serves the read API and the
 * transparency log, and answers verify-replay by running the CLI against this process, on the
 * store this process reads (a SQLite file or KurrentDB: the CLI reads both). On a SQLite store it
 * also hashes the log on another thread.
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
  const refusals = await startRefusalsJournal({
    bus,
    path: join(stateDir, 'refusals.sqlite'),
    logger: logger.child({ module: 'projection' }),
  });
  const log = await startTransparencyLog({
    projection,
    // Reads pass through; its appends (checkpoints, key statements) are counted.
    store: ctx.metrics.countAppends(store, 'transparency-log'),
    bus,
    keyDir: ctx.transparencyLog.keyDir ?? stateDir,
    origin: ctx.transparencyLog.origin,
    intervalSeconds: ctx.transparencyLog.intervalSeconds,
    keyLoss: ctx.transparencyLog.keyLoss,
    logger,
  });
  ctx.metrics.transparencyLog(() => ({
    origin: ctx.transparencyLog.origin,
    checkpointAtMs: log.checkpointer.latestAt(),
    checkpointSize: log.checkpointer.latest()?.size ?? 0,
    treeSize: projection.tree.size,
  }));
  // The store as LEDGER_STORE names it to the child CLI: the same one, through its own connection.
  const cliStore =
    storeLocation.kind === 'sqlite' ? `sqlite:${storeLocation.path}` : storeLocation.connectionString;
  const verifyReplay = (
    request: { methodologyId: string; period: string; asOf?: string },
    authorization: string | undefined,
  ) => verifyReplayInSeparateProcess({ ...request, store: cliStore, url: ctx.selfUrl(), authorization });
  return {
    routers: [readRouter({ projection, store, verifyReplay, refusals }), log.router],
    operations: [...READ_OPERATIONS, ...CATALOG_OPERATIONS, ...LOG_OPERATIONS],
    projections: [projection],
    access: indexAccess(
      () => projection.index,
      async () => void (await projection.waitFor((await store.head()).position, 5_000)),
    ),
    stop: async () => {
      log.checkpointer.stop();
      await refusals.stop();
      await projection.stop();
    },
  };
}
