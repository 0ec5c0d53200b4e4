import { ConfigError, createLogger, loadConfig, onShutdown } from '@ledger/http';
import { AllInOneConfig } from './config.ts';
import { startLedger } from './server.ts';

let config: AllInOneConfig;
try {
  config = loadConfig(AllInOneConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const logger = createLogger('ledger', config.LOG_LEVEL);
try {
  const ledger = await startLedger(config, logger);
  onShutdown(logger, ledger.stop);
} catch (error) {
  logger.fatal({ err: error }, 'the ledger could not start');
  process.exit(1);
}
