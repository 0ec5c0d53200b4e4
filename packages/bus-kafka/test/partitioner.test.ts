import kafkajs, { type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner } from '../src/partitioner.ts';

const topic = (partitions: number) =>
  Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
const args = (partitions: number, key: string | null, partition?: number): PartitionerArgs => ({
  topic: 'ledger.events.v1',
  partitionMetadata: topic(partitions),
  message: { key, value: '{}', ...(partition !== undefined ? { partition } : {}) },
});
const keys = Array.from({ length: 200 }, (_, i) => `value:c${String(i).padStart(4, '0')}:ind01:2030-01`);

describe('the partition a message goes to', () => {
  it('is the default partitioner’s choice when a topic has several partitions', () => {
    const ours = keyPartitioner();
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const chosen = keys.map((key) => ours(args(6, key)));
    expect(chosen).toEqual(keys.map((key) => theirs(args(6, key))));
    expect(new Set(chosen).size).toBe(6);
    expect(ours(args(6, keys[0] as string, 4))).toBe(4);
  });

  it('is the only partition of a topic that has one', () => {
    const ours = keyPartitioner();
    expect(keys.map((key) => ours(args(1, key)))).toEqual(keys.map(() => 0));
    expect(ours(args(1, null))).toBe(0);
  });
});
