import { opsRouter } from '@ledger/http';
import { runService } from '@ledger/runtime';
import { createScoringWorker } from './worker.ts';

/** The scoring service: follows ledger.events.v1 and appends the scores that changed. */
await runService(
  'scoring',
  8082,
  async ({ logger, store, bus, app, crash }) => {
    const worker = createScoringWorker({ store, bus, logger, crash });
    await worker.start();
    app.use(opsRouter({ store, projections: [], workers: [worker] }));
    return { stop: () => worker.stop() };
  },
  // Scores are recomputed from the log if a power loss drops its last commits: no fsync per commit.
  { storeDurability: 'derived' },
);
