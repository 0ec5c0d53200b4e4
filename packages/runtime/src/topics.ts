import { topics } from '@ledger/bus';
import type { TopicSpec } from '@ledger/bus-kafka';

const DAY_MS = 86_400_000;

/**
 * The topics, created by the services at start with explicit settings (brokers must not
 * auto-create them). See docs/topics.md for why each is set as it is.
 */
export const topicSpecs = (replicationFactor: number): TopicSpec[] => [
  {
    topic: topics.events,
    // One partition: the projection and the audit need the log's global order.
    numPartitions: 1,
    replicationFactor,
    configEntries: {
      'cleanup.policy': 'delete',
      'retention.ms': String(7 * DAY_MS),
      'min.insync.replicas': String(Math.min(2, replicationFactor)),
    },
  },
  {
    topic: topics.commands,
    numPartitions: 6,
    replicationFactor,
    configEntries: {
      'cleanup.policy': 'delete',
      'retention.ms': String(7 * DAY_MS),
      'min.insync.replicas': String(Math.min(2, replicationFactor)),
    },
  },
  {
    topic: topics.rejectedCommands,
    numPartitions: 1,
    replicationFactor,
    configEntries: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
  },
];
