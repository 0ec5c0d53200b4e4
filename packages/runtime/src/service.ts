import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Bus } from '@ledger/bus';
import type { EventStore } from '@ledger/event-store';
import {
  ConfigError,
  closeServer,
  createHttpApp,
  createLogger,
  finishHttpApp,
  type Logger,
  listen,
  loadConfig,
  NO_QUERY,
  onShutdown,
  parseQuery,
} from '@ledger/http';
import type { Express } from 'express';
import { openBus, openStore } from './adapters.ts';
import { type ServiceConfig, serviceConfig } from './config.ts';
import { crashHook } from './crash.ts';

export interface ServiceContext {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly store: EventStore;
  readonly bus: Bus;
  readonly app: Express;
  /** The crash points of this service (fault tests only). */
  readonly crash: (point: string) => void;
  /** This service's own base URL, once it listens. */
  readonly selfUrl: () => string;
}

/**
 * Runs one split service: reads and checks its configuration (a wrong value exits 2 naming it),
 * opens the store and the bus, lets the service build itself, serves HTTP, and stops gracefully.
 * A consumer that stops for good stops the service with exit code 1, for its supervisor to restart.
 */
export async function runService(
  name: string,
  defaultPort: number,
  build: (ctx: ServiceContext) => Promise<{ stop(): Promise<void> }>,
  options: { storeDurability?: 'full' | 'derived' } = {},
): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig(serviceConfig(defaultPort)) as ServiceConfig;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(name, config.LOG_LEVEL);
  try {
    await mkdir(config.LEDGER_STATE_DIR, { recursive: true });
    if (config.LEDGER_STORE.kind === 'sqlite')
      await mkdir(dirname(config.LEDGER_STORE.path), { recursive: true });
    const store = openStore(config, options.storeDurability);
    let shutDown: ((exitCode: number) => void) | undefined;
    const bus = await openBus(config, name, logger, (topic, groupId, error) => {
      logger.fatal({ err: error, topic, groupId }, 'a consumer stopped for good; exiting, to be restarted');
      if (shutDown) shutDown(1);
      else process.exit(1);
    });
    const app = createHttpApp(logger);
    app.get('/healthz', (req, res) => {
      parseQuery(NO_QUERY, req);
      res.json({ status: 'ok', service: name });
    });
    const crash = crashHook(name, config.LEDGER_CRASH_AT, config.LEDGER_CRASH_AFTER);
    let url = '';
    const service = await build({ config, logger, store, bus, app, crash, selfUrl: () => url });
    finishHttpApp(app);
    const { server, port } = await listen(app, config.PORT, config.HOST);
    url = `http://127.0.0.1:${port}`;
    const storeName = config.LEDGER_STORE.kind === 'sqlite' ? config.LEDGER_STORE.path : 'kurrentdb';
    logger.info({ url: `http://localhost:${port}`, store: storeName }, `${name} ready`);
    shutDown = onShutdown(logger, async () => {
      await closeServer(server);
      await service.stop();
      await bus.close();
      await store.close();
    });
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start`);
    process.exit(1);
  }
}
