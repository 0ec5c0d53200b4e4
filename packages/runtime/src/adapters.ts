import type { Bus } from '@ledger/bus';
import { getKafkaBus } from '@ledger/bus-kafka';
import type { EventStore } from '@ledger/event-store';
import { getKurrentDBEventStore } from '@ledger/event-store-kurrentdb';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import type { Logger } from '@ledger/http';
import type { ServiceConfig } from './config.ts';
import { reportingStoppedConsumers } from './stopped-consumers.ts';
import { topicSpecs } from './topics.ts';

/**
 * The event store LEDGER_STORE names: a SQLite file, or a KurrentDB server or cluster. `durability`
 * 'derived' is for a writer whose events are recomputed from the log (SQLite: see its option).
 */
export function openStore(config: ServiceConfig, durability: 'full' | 'derived' = 'full'): EventStore {
  const location = config.LEDGER_STORE;
  return location.kind === 'kurrentdb'
    ? getKurrentDBEventStore({ connectionString: location.connectionString })
    : getSQLiteEventStore({ path: location.path, durability });
}

/** The Kafka bus, with every topic the services use created (or checked) first. */
export async function openBus(
  config: ServiceConfig,
  service: string,
  logger: Logger,
  /** Told of every consumer that stops for good, with the topic and group as Kafka names them. */
  onConsumerStopped?: (topic: string, groupId: string, error: unknown) => void,
): Promise<Bus> {
  const kafka = getKafkaBus({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? `indicator-ledger-${service}`,
    ssl: config.KAFKA_SSL,
    ...(config.KAFKA_SASL_MECHANISM
      ? {
          sasl: {
            mechanism: config.KAFKA_SASL_MECHANISM,
            username: config.KAFKA_SASL_USERNAME as string,
            password: config.KAFKA_SASL_PASSWORD as string,
          },
        }
      : {}),
    logger: logger.child({ module: 'kafka' }),
  });
  const ns = config.LEDGER_KAFKA_NAMESPACE ?? '';
  await kafka.ensureTopics(
    topicSpecs(config.KAFKA_REPLICATION_FACTOR).map((t) => ({ ...t, topic: ns + t.topic })),
  );
  const bus = onConsumerStopped ? reportingStoppedConsumers(kafka, onConsumerStopped) : kafka;
  return ns ? namespaced(bus, ns) : bus;
}

/** The bus with every topic and consumer group prefixed: several ledgers (or test runs) on one cluster. */
export function namespaced(bus: Bus, ns: string): Bus {
  return {
    publish: (topic, messages) => bus.publish(ns + topic, messages),
    consume: (topic, options) => bus.consume(ns + topic, { ...options, groupId: ns + options.groupId }),
    close: () => bus.close(),
  };
}
