import { topics } from '@ledger/bus';
import { DEVELOPMENT_PRINCIPAL, type ModuleContext, type Mounted, writeStateAccess } from '@ledger/runtime';
import { INGESTION_OPERATIONS } from './api.ts';
import { bootstrapOwnerKeyFile, OWNER } from './bootstrap.ts';
import { DEFAULT_RECHECK_MS, startCommandConsumer } from './command-consumer.ts';
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
  /**
   * Whether commands are also taken from Kafka: the principals' own topics and the shared one
   * (command-consumer.ts). Default: true.
   */
  readonly commandsTopic?: boolean;
  /**
   * Milliseconds between looks at the registered principals, for the commands topics of those
   * registered since. Default: the context's (LEDGER_KAFKA_COMMANDS_RECHECK), else 5 s; 0 reads no principal's topic.
   */
  readonly commandsRecheckMs?: number;
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
  // The store the write API records through: its appends are counted (the relay only reads).
  const written = ctx.metrics.countAppends(store, 'ingestion');
  const ingestion = createIngestion({ store: written, logger: logger.child({ module: 'ingestion' }) });
  await ingestion.start();
  const keys = ctx.authenticator?.keys;
  if (ctx.ownerKeyFile && keys) {
    const keyFile = await bootstrapOwnerKeyFile({
      store: written,
      ingestion,
      keys,
      keyFile: ctx.ownerKeyFile,
    });
    if (keyFile)
      logger.info(
        { principal: OWNER, keyFile },
        'the ledger’s owner is registered; its API key is in the key file',
      );
  }
  const relayLogger = logger.child({ module: 'relay' });
  const checkpointed = (options.relayFrom ?? 'checkpoint') === 'checkpoint';
  const checkpoints = checkpointed ? ctx.checkpoints('ingestion') : undefined;
  const relay = checkpoints
    ? await startRelay({ store, bus, logger: relayLogger, checkpoints })
    : await startRelay({ store, bus, logger: relayLogger, after: (await head).position });
  // LEDGER_AUTH=off: every record acts as the development principal, as every request does.
  const development = !ctx.authenticator
    ? { id: DEVELOPMENT_PRINCIPAL, auth: { method: 'none' as const } }
    : undefined;
  const sharedTopicPrincipal =
    development ??
    (ctx.commandsPrincipal
      ? { id: ctx.commandsPrincipal, auth: { method: 'kafka-topic' as const, topic: topics.commands } }
      : undefined);
  const commands =
    (options.commandsTopic ?? true)
      ? await startCommandConsumer({
          bus,
          store,
          ingestion,
          logger,
          principal: sharedTopicPrincipal,
          ...(development ? { everyRecordAs: development } : {}),
          recheckMs: options.commandsRecheckMs ?? ctx.commandsRecheckMs ?? DEFAULT_RECHECK_MS,
          onRejected: (reason) => ctx.metrics.commandRejected(reason, 'kafka'),
        })
      : undefined;
  return {
    ingestion,
    routers: [ingestionRouter(ingestion, ctx.authenticator?.keys)],
    operations: INGESTION_OPERATIONS,
    recordsRefusals: true,
    access: writeStateAccess(
      () => ingestion.state(),
      () => ingestion.catchUp(),
    ),
    workers: checkpointed ? [relay] : [],
    stop: async () => {
      await commands?.close();
      await relay.close();
      await checkpoints?.close();
    },
  };
}
