import { opsRouter } from '@ledger/http';
import { openCheckpoints, runService } from '@ledger/runtime';
import { startCommandConsumer } from './command-consumer.ts';
import { createIngestion } from './ingest.ts';
import { startRelay } from './relay.ts';
import { ingestionRouter } from './routes.ts';

/** The ingestion service: the HTTP write API, the commands topic, and the relay from the store to Kafka. */
await runService('ingestion', 8081, async ({ config, logger, store, bus, app }) => {
  const ingestion = createIngestion({ store, logger: logger.child({ module: 'ingestion' }) });
  await ingestion.start();
  const checkpoints = openCheckpoints(config, 'ingestion');
  const relay = await startRelay({ store, bus, logger: logger.child({ module: 'relay' }), checkpoints });
  const commands = await startCommandConsumer({ bus, store, ingestion, logger });
  app.use(ingestionRouter(ingestion));
  app.use(opsRouter({ store, projections: [], workers: [relay] }));
  return {
    stop: async () => {
      await commands.close();
      await relay.close();
      await checkpoints.close();
    },
  };
});
