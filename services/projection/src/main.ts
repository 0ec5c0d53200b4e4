import { join } from 'node:path';
import { verifyReplayInSeparateProcess } from '@ledger/cli';
import { opsRouter } from '@ledger/http';
import { runService } from '@ledger/runtime';
import { sqliteLeafHashes } from './leaf-hashes.ts';
import { startTransparencyLog } from './log-routes.ts';
import { createProjection } from './projection.ts';
import { readRouter } from './routes.ts';

/** The projection service: follows ledger.events.v1 into the as-of index and serves the read API. */
await runService('projection', 8083, async ({ config, logger, store, bus, app, crash, selfUrl }) => {
  const location = config.LEDGER_STORE;
  const projection = createProjection({
    store,
    bus,
    logger,
    path: join(config.LEDGER_STATE_DIR, 'projection.sqlite'),
    crash,
    ...(location.kind === 'sqlite' ? { leafHashesFrom: sqliteLeafHashes(location.path, logger) } : {}),
  });
  await projection.start();
  // The CLI replays SQLite stores; against KurrentDB the endpoint says it is not configured.
  const verifyReplay =
    location.kind === 'sqlite'
      ? (request: { methodologyId: string; period: string; asOf?: string }) =>
          verifyReplayInSeparateProcess({ ...request, store: `sqlite:${location.path}`, url: selfUrl() })
      : undefined;
  app.use(readRouter({ projection, store, ...(verifyReplay ? { verifyReplay } : {}) }));
  const log = await startTransparencyLog({
    projection,
    store,
    bus,
    stateDir: config.LEDGER_STATE_DIR,
    origin: config.LEDGER_LOG_ORIGIN,
    intervalSeconds: config.LEDGER_CHECKPOINT_INTERVAL,
    logger,
  });
  app.use(log.router);
  app.use(opsRouter({ store, projections: [projection] }));
  return {
    stop: async () => {
      log.checkpointer.stop();
      await projection.stop();
    },
  };
});
