import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Bus } from '@ledger/bus';
import { ConfigError, createLogger, type Logger, loadConfig, onShutdown } from '@ledger/http';
import { openBus, openStore } from './adapters.ts';
import { openAuthenticator } from './authentication.ts';
import { openCheckpoints } from './checkpoints.ts';
import { type ServiceConfig, serviceConfig, transparencyLogOptions } from './config.ts';
import { crashHook } from './crash.ts';
import type { ModuleContext, Mounted } from './module.ts';
import { serve } from './shell.ts';
import { reportingBrokerOutage } from './stopped-consumers.ts';
import { startWaitingProbes } from './waiting-probes.ts';

/** Errors of a broker that cannot be reached (yet): worth waiting for, unlike a refusal. */
const UNREACHABLE =
  /KafkaJS(Connection|ConnectionClosed|RequestTimeout|BrokerNotFound|NumberOfRetriesExceeded|LockTimeout)Error|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection error|Connection timeout|no leader for every partition/;

function unreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const { name, message, cause, originalError } = e as {
      name?: string;
      message?: string;
      cause?: unknown;
      originalError?: unknown;
    };
    if (UNREACHABLE.test(`${name ?? ''} ${message ?? ''}`)) return true;
    e = originalError ?? cause;
  }
  return false;
}

/**
 * Opens the bus, and while the broker cannot be reached (a service started during an outage), waits
 * and tries again: 1 s doubling to 15 s between attempts, each attempt itself retried by kafkajs for
 * about half a minute; meanwhile, from the first attempt, the service's port answers its probes
 * (waiting-probes.ts). An error that is no outage (a refused login, a missing ACL) is thrown.
 */
async function openBusWhenReachable(
  open: () => Promise<Bus>,
  logger: Logger,
  probes: (reason: () => string) => Promise<{ close(): Promise<void> }>,
): Promise<Bus> {
  let reason = 'connecting to the broker';
  // From the first attempt: kafkajs itself retries for half a minute before an attempt fails.
  const waiting = await probes(() => reason);
  for (let attempt = 1; ; attempt++) {
    try {
      const bus = await open();
      await waiting.close();
      if (attempt > 1) logger.info({ attempt }, 'the broker answers; starting');
      return bus;
    } catch (error) {
      if (!unreachable(error)) {
        await waiting.close();
        throw error;
      }
      reason = `the broker cannot be reached (${(error as Error).message}); attempt ${attempt}`;
      const waitMs = Math.min(15_000, 1_000 * 2 ** (attempt - 1));
      logger.warn({ err: error, attempt, waitMs }, 'waiting for the broker: it cannot be reached');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

/**
 * Runs one split service: reads and checks its configuration (a wrong value exits 2 naming it),
 * opens the store and the Kafka bus, mounts the service's module on the one HTTP shell, and stops
 * gracefully. A consumer that stops for good stops the service with exit code 1, for its supervisor
 * to restart. A broker that cannot be reached is waited for, at start as later: its followers say
 * `waiting-for-broker` (503 on /readyz) meanwhile (docs/operations.md, "Broker outage").
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
    const bus = await openBusWhenReachable(
      () =>
        openBus(config, name, logger, (topic, groupId, error) => {
          logger.fatal(
            { err: error, topic, groupId },
            'a consumer stopped for good; exiting, to be restarted',
          );
          if (shutDown) shutDown(1);
          else process.exit(1);
        }),
      logger,
      (reason) => startWaitingProbes({ port: config.PORT, host: config.HOST, service: name, reason, logger }),
    );
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
      // While the broker cannot be reached, the followers say `waiting-for-broker` (not ready).
      mount: async (ctx) => {
        const mounted = await mount(ctx);
        const health = () => bus.health?.() ?? { connected: true };
        const projections = reportingBrokerOutage(mounted.projections, health);
        const workers = reportingBrokerOutage(mounted.workers, health);
        return [{ ...mounted, ...(projections ? { projections } : {}), ...(workers ? { workers } : {}) }];
      },
    });
    const storeName = config.LEDGER_STORE.kind === 'sqlite' ? config.LEDGER_STORE.path : 'kurrentdb';
    logger.info({ url: `http://localhost:${served.port}`, store: storeName }, `${name} ready`);
    shutDown = onShutdown(logger, served.stop);
  } catch (error) {
    logger.fatal({ err: error }, `${name} could not start`);
    process.exit(1);
  }
}
