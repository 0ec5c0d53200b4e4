import { join } from 'node:path';
import { opsRouter } from '@ledger/http';
import { runService } from '@ledger/runtime';
import { createProjection } from './projection.ts';
import { readRouter } from './routes.ts';

/** The projection service: follows ledger.events.v1 into the as-of index and serves the read API. */
await runService('projection', 8083, async ({ config, logger, store, bus, app, crash }) => {
  const projection = createProjection({
    store,
    bus,
    logger,
    path: join(config.LEDGER_STATE_DIR, 'projection.sqlite'),
    crash,
  });
  await projection.start();
  app.use(readRouter({ projection, store }));
  app.use(opsRouter({ store, projections: [projection] }));
  return { stop: () => projection.stop() };
});
