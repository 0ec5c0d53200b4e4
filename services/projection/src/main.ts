import { join } from 'node:path';
import { verifyReplayInSeparateProcess } from '@ledger/cli';
import { opsRouter } from '@ledger/http';
import { runService } from '@ledger/runtime';
import { createProjection } from './projection.ts';
import { readRouter } from './routes.ts';

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
  const verifyReplay = (request: { methodologyId: string; period: string; asOf?: string }) =>
    verifyReplayInSeparateProcess({
      ...request,
      store: `sqlite:${config.LEDGER_STORE.path}`,
      url: selfUrl(),
    });
  app.use(readRouter({ projection, store, verifyReplay }));
  app.use(opsRouter({ store, projections: [projection] }));
  return { stop: () => projection.stop() };
});
