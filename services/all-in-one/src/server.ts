import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import type { Logger } from '@ledger/http';
import { mountIngestion } from '@ledger/ingestion';
import { mountProjection } from '@ledger/projection';
import { mountAll, openCheckpoints, type Served, serve } from '@ledger/runtime';
import { mountScoring } from '@ledger/scoring';
import type { AllInOneConfig } from './config.ts';
import { loadDemo } from './demo.ts';

export interface RunningLedger extends Served {
  readonly databasePath: string;
}

/**
 * The all-in-one ledger: the embedded store and the in-process bus, with the modules the split
 * services mount, in one process; scoring on a thread of its own.
 */
export async function startLedger(config: AllInOneConfig, logger: Logger): Promise<RunningLedger> {
  const dataDir = resolve(config.LEDGER_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const databasePath = join(dataDir, 'ledger.sqlite');
  const store = getSQLiteEventStore({ path: databasePath });
  const served = await serve({
    port: config.PORT,
    host: config.HOST,
    context: {
      logger,
      store,
      storeLocation: { kind: 'sqlite', path: databasePath },
      bus: getInProcessBus(),
      stateDir: dataDir,
      checkpoints: (owner) => openCheckpoints(dataDir, owner),
      transparencyLog: {
        origin: config.LEDGER_LOG_ORIGIN,
        intervalSeconds: config.LEDGER_CHECKPOINT_INTERVAL,
      },
      crash: () => undefined,
    },
    mount: async (ctx) => {
      const modules = await mountAll([
        // Nothing can publish to the in-process bus from outside, and its consumers read the store on start.
        mountIngestion(ctx, { relayFrom: 'head', commandsTopic: false }),
        mountScoring(ctx, { on: 'own-thread', onAppended: store.notifyAppended }),
        mountProjection(ctx),
      ]);
      if (config.LEDGER_DEMO) await loadDemo({ store, ingestion: modules[0].ingestion, logger });
      return modules;
    },
  });
  logger.info({ url: served.url, databasePath }, 'indicator ledger ready');
  return { ...served, databasePath };
}
