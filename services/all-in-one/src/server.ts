import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import type { Logger } from '@ledger/http';
import { mountIngestion } from '@ledger/ingestion';
import { mountProjection } from '@ledger/projection';
import {
  mountAll,
  openAuthenticator,
  openCheckpoints,
  type Served,
  serve,
  transparencyLogOptions,
} from '@ledger/runtime';
import { mountScoring } from '@ledger/scoring';
import type { AllInOneConfig } from './config.ts';
import { loadDemo } from './demo.ts';

export interface RunningLedger extends Served {
  readonly databasePath: string;
  /** Where the owner's API key was written at the first start (absent with LEDGER_AUTH=off). */
  readonly adminKeyPath: string;
}

/**
 * The all-in-one ledger: the embedded store and the in-process bus, with the modules the split
 * services mount, in one process; scoring on a thread of its own.
 */
export async function startLedger(config: AllInOneConfig, logger: Logger): Promise<RunningLedger> {
  const dataDir = resolve(config.LEDGER_DATA_DIR);
  // The data directory holds the API-key digests, the server secret and the owner's key.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const databasePath = join(dataDir, 'ledger.sqlite');
  const store = getSQLiteEventStore({ path: databasePath });
  const authenticator = openAuthenticator({
    ...config,
    LEDGER_CREDENTIALS: config.LEDGER_CREDENTIALS ?? join(dataDir, 'credentials.sqlite'),
    LEDGER_KEY_SECRET_FILE: config.LEDGER_KEY_SECRET_FILE ?? join(dataDir, 'key-secret'),
  });
  if (!authenticator)
    logger.warn('LEDGER_AUTH=off: every request acts as svc:development, for development only');
  const adminKeyPath = join(dataDir, 'admin.key');
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
      transparencyLog: transparencyLogOptions(config),
      crash: () => undefined,
      authenticator,
      reads: config.LEDGER_READS,
      // At the first start, ingestion registers the owner and writes its key here.
      ownerKeyFile: adminKeyPath,
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
  return { ...served, databasePath, adminKeyPath };
}
