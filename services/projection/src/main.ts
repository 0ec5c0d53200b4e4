import { join } from 'node:path';
import { verifyReplayInSeparateProcess } from '@ledger/cli';
import { opsRouter } from '@ledger/http';
import { runService } from '@ledger/runtime';
import { logRouter } from './log-routes.ts';
import { createProjection } from './projection.ts';
import { readRouter } from './routes.ts';
import { loadOrCreateLogKeys, startCheckpointer } from './transparency.ts';

/** The projection service: follows ledger.events.v1 into the as-of index and serves the read API. */
await runService('projection', 8083, async ({ config, logger, store, bus, app, crash, selfUrl }) => {
  const projection = createProjection({
    store,
    bus,
    logger,
    path: join(config.LEDGER_STATE_DIR, 'projection.sqlite'),
    crash,
  });
  await projection.start();
  // The CLI replays SQLite stores; against KurrentDB the endpoint says it is not configured.
  const location = config.LEDGER_STORE;
  const verifyReplay =
    location.kind === 'sqlite'
      ? (request: { methodologyId: string; period: string; asOf?: string }) =>
          verifyReplayInSeparateProcess({ ...request, store: `sqlite:${location.path}`, url: selfUrl() })
      : undefined;
  app.use(readRouter({ projection, store, ...(verifyReplay ? { verifyReplay } : {}) }));
  const keys = await loadOrCreateLogKeys(config.LEDGER_STATE_DIR, config.LEDGER_LOG_ORIGIN, logger);
  const checkpointer = await startCheckpointer({
    projection,
    store,
    bus,
    keys,
    origin: config.LEDGER_LOG_ORIGIN,
    intervalMs: config.LEDGER_CHECKPOINT_INTERVAL * 1000,
    logger,
  });
  app.use(logRouter({ projection, checkpointer, verifierKey: keys.verifierKey }));
  app.use(opsRouter({ store, projections: [projection] }));
  return {
    stop: async () => {
      checkpointer.stop();
      await projection.stop();
    },
  };
});
