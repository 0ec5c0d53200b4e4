import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { verifyReplayInSeparateProcess } from '@ledger/cli';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import {
  closeServer,
  createHttpApp,
  finishHttpApp,
  type Logger,
  listen,
  NO_QUERY,
  opsRouter,
  parseQuery,
} from '@ledger/http';
import { createIngestion, ingestionRouter, startRelay } from '@ledger/ingestion';
import { createProjection, readRouter, sqliteLeafHashes, startTransparencyLog } from '@ledger/projection';
import { createScoringThread } from '@ledger/scoring';
import type { AllInOneConfig } from './config.ts';
import { loadDemo } from './demo.ts';

export interface RunningLedger {
  readonly url: string;
  readonly port: number;
  readonly databasePath: string;
  /** The HTTP app, for what walks its routes (tests). */
  readonly app: ReturnType<typeof createHttpApp>;
  stop(): Promise<void>;
}

/**
 * The all-in-one ledger: the ingestion, scoring and projection modules that the split services
 * use, composed in one process on the embedded store and the in-process bus; scoring on a worker
 * thread of its own.
 */
export async function startLedger(config: AllInOneConfig, logger: Logger): Promise<RunningLedger> {
  const dataDir = resolve(config.LEDGER_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const databasePath = join(dataDir, 'ledger.sqlite');
  const store = getSQLiteEventStore({ path: databasePath });
  const bus = getInProcessBus();

  const ingestion = createIngestion({ store, logger: logger.child({ module: 'ingestion' }) });
  const relay = await startRelay({
    store,
    bus,
    logger: logger.child({ module: 'relay' }),
    after: (await store.head()).position,
  });
  const projection = createProjection({
    store,
    bus,
    logger: logger.child({ module: 'projection' }),
    path: join(dataDir, 'projection.sqlite'),
    leafHashesFrom: sqliteLeafHashes(databasePath, logger),
  });
  // Scoring runs on its own thread, so that writes and reads on this one do not wait for it.
  const scoring = createScoringThread({
    storePath: databasePath,
    bus,
    logger: logger.child({ module: 'scoring' }),
    onAppended: store.notifyAppended,
  });
  // On a start, the three catch up at once: scoring's thread folds while this one folds the write
  // model and the projection (in turns), so both cores work.
  const started = await Promise.allSettled([ingestion.start(), projection.start(), scoring.start()]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled([scoring.stop(), projection.stop()]);
    throw failed.reason;
  }

  if (config.LEDGER_DEMO) await loadDemo({ store, ingestion, logger });

  const log = await startTransparencyLog({
    projection,
    store,
    bus,
    stateDir: dataDir,
    origin: config.LEDGER_LOG_ORIGIN,
    intervalSeconds: config.LEDGER_CHECKPOINT_INTERVAL,
    logger,
  });

  const app = createHttpApp(logger);
  app.get('/healthz', (req, res) => {
    parseQuery(NO_QUERY, req);
    res.json({ status: 'ok' });
  });
  app.use(ingestionRouter(ingestion));
  let url = '';
  const verifyReplay = (request: { methodologyId: string; period: string; asOf?: string }) =>
    verifyReplayInSeparateProcess({ ...request, store: `sqlite:${databasePath}`, url });
  app.use(readRouter({ projection, store, verifyReplay }));
  app.use(log.router);
  app.use(opsRouter({ store, projections: [projection], workers: [scoring] }));
  finishHttpApp(app);
  const { server, port } = await listen(app, config.PORT, config.HOST);
  url = `http://127.0.0.1:${port}`;
  logger.info({ url, databasePath }, 'indicator ledger ready');

  return {
    url,
    port,
    databasePath,
    app,
    stop: async () => {
      log.checkpointer.stop();
      await closeServer(server);
      await relay.close();
      await scoring.stop();
      await projection.stop();
      await bus.close();
      await store.close();
    },
  };
}
