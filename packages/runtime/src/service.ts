import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, createLogger, loadConfig, onShutdown } from '@ledger/http';
import { openBus, openStore } from './adapters.ts';
import { openAuthenticator } from './authentication.ts';
import { openCheckpoints } from './checkpoints.ts';
import { type ServiceConfig, serviceConfig, transparencyLogOptions } from './config.ts';
import { crashHook } from './crash.ts';
import type { ModuleContext, Mounted } from './module.ts';
import { serve } from './shell.ts';

/**
 * Runs one split service: reads and checks its configuration (a wrong value exits 2 naming it),
 * opens the store and the Kafka bus, mounts the service's module on the one HTTP shell, and stops
 * gracefully. A consumer that stops for good stops the service with exit code 1, for its supervisor
 * to restart.
 */
export async function runService(
  name: string,
  defaultPort: number,
  mount: (ctx: ModuleContext) => Promise<Mounted>,
  options: {
    /** The store's durability (SQLite): 'derived' for a writer whose events are recomputed from the log. Default 'full'. */
    storeDurability?: 'full' | 'derived';
  } = {},
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
    const authenticator = openAuthenticator(config);
    if (!authenticator)
      logger.warn('LEDGER_AUTH=off: every request acts as svc:development, for development only');
    const served = await serve({
      service: name,
      port: config.PORT,
      host: config.HOST,
      context: {
        logger,
        store,
        storeLocation: config.LEDGER_STORE,
        bus,
        stateDir: config.LEDGER_STATE_DIR,
        checkpoints: (owner) => openCheckpoints(config.LEDGER_STATE_DIR, owner),
        transparencyLog: transparencyLogOptions(config),
        crash: crashHook(name, config.LEDGER_CRASH_AT, config.LEDGER_CRASH_AFTER),
        authenticator,
        reads: config.LEDGER_READS,
        ...(config.LEDGER_KAFKA_COMMANDS_PRINCIPAL
          ? { commandsPrincipal: config.LEDGER_KAFKA_COMMANDS_PRINCIPAL }
          : {}),
        commandsRecheckMs: config.LEDGER_KAFKA_COMMANDS_RECHECK * 1000,
        ...(config.LEDGER_OWNER_KEY_FILE ? { ownerKeyFile: config.LEDGER_OWNER_KEY_FILE } : {}),
      },
      mount: async (ctx) => [await mount(ctx)],
    });
    const storeName = config.LEDGER_STORE.kind === 'sqlite' ? config.LEDGER_STORE.path : 'kurrentdb';
    logger.info({ url: `http://localhost:${served.port}`, store: storeName }, `${name} ready`);
    shutDown = onShutdown(logger, served.stop);
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start`);
    process.exit(1);
  }
}
