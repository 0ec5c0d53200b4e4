export type { AclAdminConnection, AclBinding, AclOperation, ServicePrincipals } from './acls.ts';
export {
  COMMANDS_TOPIC_PREFIX,
  commandsTopicOf,
  consumerGroups,
  ensureAcls,
  kafkaUserOf,
  serviceAcls,
} from './acls.ts';
export type {
  BrokerHealth,
  KafkaBus,
  KafkaBusLogger,
  KafkaBusMessage,
  KafkaBusOptions,
  TopicSpec,
} from './kafka-bus.ts';
export { getKafkaBus } from './kafka-bus.ts';
