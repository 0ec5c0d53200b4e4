import type { ICustomPartitioner } from 'kafkajs';
import kafkajs from 'kafkajs';

/**
 * kafkajs's default partitioner (murmur2 of the key, as the Java client), except on a topic of one
 * partition, where there is nothing to choose: the relay publishes every event of the log, by
 * stream key, to the single-partition events topic, where the hash would cost ~4 % of ingestion's
 * CPU (docs/benchmarks.md).
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const byKey = kafkajs.Partitioners.DefaultPartitioner();
  return (args) => {
    const [only, ...others] = args.partitionMetadata;
    return only !== undefined && others.length === 0 ? only.partitionId : byKey(args);
  };
};
