import { type Bus, commandsTopicSuffix, type PreparedTopics } from '@ledger/bus';
import { getKafkaBus, type KafkaBus, type TopicSpec } from '@ledger/bus-kafka';
import type { EventStore } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import type { ServiceConfig } from './config.ts';
import { reportingStoppedConsumers } from './stopped-consumers.ts';
import { openStoreAt } from './stores.ts';
import { principalCommandsTopicSpec, topicSpecs } from './topics.ts';

/** The event store LEDGER_STORE names (stores.ts). */
export const openStore = (config: ServiceConfig, durability: 'full' | 'derived' = 'full'): EventStore =>
  openStoreAt(config.LEDGER_STORE, durability);

/**
 * The Kafka bus, with every shared topic the services use created (or checked) first, and the
 * principals' commands topics prepared on demand (`prepareTopics`).
 */
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
  const reporting = onConsumerStopped ? reportingStoppedConsumers(kafka, onConsumerStopped) : kafka;
  const bus: Bus = {
    publish: reporting.publish,
    consume: reporting.consume,
    close: reporting.close,
    prepareTopics: principalTopicsOn(kafka, ns, config.KAFKA_REPLICATION_FACTOR),
    health: kafka.health,
  };
  return ns ? namespaced(bus, ns) : bus;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const REFUSED =
  'the broker does not let this service create topics (TOPIC_AUTHORIZATION_FAILED): with ACLs, the admin creates a principal’s commands topic when it registers it';

/**
 * `prepareTopics` on Kafka, for the principals' commands topics (`<ns>ledger.commands.v1.<suffix>`,
 * the only topics that come and go): finds those that exist, and creates the others with their
 * settings (`principalCommandsTopicSpec`) if this service's Kafka user may create topics. With ACLs
 * it may not (the admin creates a principal's topic when it registers it): once the broker has
 * refused, it stops asking and only looks for them, each time it is called.
 */
export function principalTopicsOn(
  kafka: Pick<KafkaBus, 'ensureTopics' | 'listTopics'>,
  namespace: string,
  replicationFactor: number,
): (names: readonly string[]) => Promise<PreparedTopics> {
  /** Why the broker refused to create topics, once it has: the admin creates them. */
  let refused: string | undefined;
  return async (names) => {
    const missing: { topic: string; reason: string }[] = [];
    const specs: TopicSpec[] = [];
    for (const topic of new Set(names)) {
      const name = topic.slice(namespace.length);
      if (!topic.startsWith(namespace) || commandsTopicSuffix(name) === undefined)
        missing.push({
          topic,
          reason: `not a principal's commands topic (${namespace}ledger.commands.v1.<suffix>)`,
        });
      else specs.push({ ...principalCommandsTopicSpec(name, replicationFactor), topic });
    }
    if (specs.length === 0) return { ready: [], missing };
    const existing = new Set(await kafka.listTopics());
    const found = specs.filter((s) => existing.has(s.topic));
    const absent = specs.filter((s) => !existing.has(s.topic));
    const ready: string[] = [];
    // Those that exist: only their leaders are waited for (a topic the admin just created).
    try {
      await kafka.ensureTopics(found);
      ready.push(...found.map((s) => s.topic));
    } catch (error) {
      for (const s of found) missing.push({ topic: s.topic, reason: reasonOf(error) });
    }
    if (refused !== undefined) {
      for (const s of absent) missing.push({ topic: s.topic, reason: refused });
      return { ready, missing };
    }
    try {
      await kafka.ensureTopics(absent);
      ready.push(...absent.map((s) => s.topic));
    } catch (error) {
      let reason = reasonOf(error);
      if (/not authorized to create/.test(reason)) {
        refused = REFUSED;
        reason = REFUSED;
      }
      for (const s of absent) missing.push({ topic: s.topic, reason });
    }
    return { ready, missing };
  };
}

/** The bus with every topic and consumer group prefixed: several ledgers (or test runs) on one cluster. */
export function namespaced(bus: Bus, ns: string): Bus {
  /** A topic as the consumer named it: what a batch's source says is the bus's name, with the prefix. */
  const unprefixed = (topic: string) => (topic.startsWith(ns) ? topic.slice(ns.length) : topic);
  const prepare = bus.prepareTopics?.bind(bus);
  return {
    publish: (topic, messages) => bus.publish(ns + topic, messages),
    consume: (topic, options) =>
      bus.consume(ns + topic, {
        ...options,
        groupId: ns + options.groupId,
        ...(options.alsoTopics ? { alsoTopics: options.alsoTopics.map((t) => ns + t) } : {}),
        onMessages: (messages, source) =>
          options.onMessages(messages, source && { topic: unprefixed(source.topic) }),
      }),
    ...(prepare
      ? {
          prepareTopics: async (names: readonly string[]) => {
            const prepared = await prepare(names.map((t) => ns + t));
            return {
              ready: prepared.ready.map(unprefixed),
              missing: prepared.missing.map((m) => ({ ...m, topic: unprefixed(m.topic) })),
            };
          },
        }
      : {}),
    ...(bus.health ? { health: bus.health.bind(bus) } : {}),
    close: () => bus.close(),
  };
}
