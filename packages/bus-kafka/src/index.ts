export type { KafkaBus, KafkaBusLogger, KafkaBusMessage, KafkaBusOptions, TopicSpec } from './kafka-bus.ts';
export { getKafkaBus } from './kafka-bus.ts';
