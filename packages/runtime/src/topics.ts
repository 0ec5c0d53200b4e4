import { commandsTopicSuffix, topics } from '@ledger/bus';
import type { TopicSpec } from '@ledger/bus-kafka';

const DAY_MS = 86_400_000;

const topic = (
  name: string,
  partitions: number,
  retentionDays: number,
  replicationFactor: number,
): TopicSpec => ({
  topic: name,
  numPartitions: partitions,
  replicationFactor,
  configEntries: {
    'cleanup.policy': 'delete',
    'retention.ms': String(retentionDays * DAY_MS),
    'min.insync.replicas': String(Math.min(2, replicationFactor)),
    // One event can be large (the idempotency record of a 10,000-command batch is ~1.6 MB);
    // producers send at most 512 KiB per request otherwise (see bus-kafka's publish).
    'max.message.bytes': String(MAX_RECORD_BYTES),
  },
});

/** The largest record a topic accepts: above any event a 10 MB request can give. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/**
 * The topics, created by the services at start with explicit settings (brokers must not
 * auto-create them). See docs/topics.md for why each is set as it is.
 */
export const topicSpecs = (replicationFactor: number): TopicSpec[] => [
  // One partition: the projection and the audit need the log's global order.
  topic(topics.events, 1, 7, replicationFactor),
  topic(topics.commands, 6, 7, replicationFactor),
  topic(topics.rejectedCommands, 1, 30, replicationFactor),
  topic(topics.checkpoints, 1, 3650, replicationFactor),
];

/**
 * A principal's own commands topic (`ledger.commands.v1.<suffix>`, see `commandsTopicOf`): one
 * partition, keeping all of its records in the order it sent them (ingestion reads one partition
 * at a time anyway), and the shared commands topic's retention. Created by the admin on a broker
 * with ACLs, when the principal is registered; by ingestion where it may (docs/topics.md).
 */
export const principalCommandsTopicSpec = (name: string, replicationFactor: number): TopicSpec => {
  if (commandsTopicSuffix(name) === undefined)
    throw new Error(`${name} is not a principal's commands topic (ledger.commands.v1.<suffix>)`);
  return topic(name, 1, 7, replicationFactor);
};
