import type { ModuleContext, Mounted } from '@ledger/runtime';
import { startCommandConsumer } from './command-consumer.ts';
import { createIngestion, type Ingestion } from './ingest.ts';
import { startRelay } from './relay.ts';
import { ingestionRouter } from './routes.ts';

export interface IngestionOptions {
  /**
   * Where the relay starts publishing the log to the events topic.
   * - `'checkpoint'` (default): after its own checkpoint, kept in the state directory, for a bus that
   *   keeps what it was given (Kafka); its progress is reported by the ops endpoints.
   * - `'head'`: at the head of the log at start, for the in-process bus, whose consumers catch up
   *   from the store themselves.
   */
  readonly relayFrom?: 'checkpoint' | 'head';
  /** Whether commands are also taken from the commands topic. Default: true. */
  readonly commandsTopic?: boolean;
}

/** The ingestion module: the HTTP write API, the commands topic, and the relay from the store to the bus. */
export async function mountIngestion(
  ctx: ModuleContext,
  options: IngestionOptions = {},
): Promise<Mounted & { readonly ingestion: Ingestion }> {
  const { store, bus, logger } = ctx;
  // Read before anything else starts: what is recorded from here on (by a scoring thread catching
  // up beside this one, say) is published.
  const head = store.head();
  const ingestion = createIngestion({ store, logger: logger.child({ module: 'ingestion' }) });
  await ingestion.start();
  const relayLogger = logger.child({ module: 'relay' });
  const checkpointed = (options.relayFrom ?? 'checkpoint') === 'checkpoint';
  const checkpoints = checkpointed ? ctx.checkpoints('ingestion') : undefined;
  const relay = checkpoints
    ? await startRelay({ store, bus, logger: relayLogger, checkpoints })
    : await startRelay({ store, bus, logger: relayLogger, after: (await head).position });
  const commands =
    (options.commandsTopic ?? true)
      ? await startCommandConsumer({ bus, store, ingestion, logger })
      : undefined;
  return {
    ingestion,
    routers: [ingestionRouter(ingestion)],
    workers: checkpointed ? [relay] : [],
    stop: async () => {
      await commands?.close();
      await relay.close();
      await checkpoints?.close();
    },
  };
}
