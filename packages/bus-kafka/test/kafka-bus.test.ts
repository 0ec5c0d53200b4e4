import type { BusMessage } from '@ledger/bus';
import { busContract } from '@ledger/bus/testing';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getKafkaBus, type KafkaBus, type KafkaBusMessage } from '../src/index.ts';
import { kafkaTestEnv, startPrivateBroker } from '../src/testing.ts';

// Against the real broker of vitest.kafka-setup.ts (infra/kafka/broker.sh), never skipped.
const env = kafkaTestEnv();
const brokers = [...env.brokers];
const run = `${Date.now().toString(36)}-${process.pid}`;
let n = 0;
const topicName = (label: string) => `test.bus-kafka.${run}.${label}-${++n}`;
const created: string[] = [];

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;
const kafka = new Kafka({ clientId: 'bus-kafka-test-admin', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();

const openBus = () => getKafkaBus({ brokers, clientId: 'bus-kafka-test' });

async function withTopics(bus: KafkaBus, label: string, count: number, numPartitions = 1): Promise<string[]> {
  const names = Array.from({ length: count }, () => topicName(label));
  await bus.ensureTopics(names.map((topic) => ({ topic, numPartitions })));
  created.push(...names);
  return names;
}

const within = <T>(promise: Promise<T>, ms = 15_000, what = 'messages') =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms),
    ),
  ]);

/** Resolves once `predicate` holds for what was received. */
function receiver(predicate: (received: BusMessage[]) => boolean = () => true) {
  const received: BusMessage[] = [];
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  return {
    received,
    onMessages: (messages: readonly BusMessage[]) => {
      received.push(...messages);
      for (const w of [...waiters]) if (w.check()) w.resolve();
    },
    until: (check: (r: BusMessage[]) => boolean = predicate, ms?: number) =>
      within(
        new Promise<void>((resolve) => {
          const waiter = { check: () => check(received), resolve };
          if (waiter.check()) resolve();
          else waiters.push(waiter);
        }),
        ms,
      ),
  };
}

beforeAll(() => admin.connect());
afterAll(async () => {
  // The broker keeps topics between runs: remove this run's.
  if (created.length) await admin.deleteTopics({ topics: created, timeout: 10_000 }).catch(() => undefined);
  await admin.disconnect();
});

busContract('kafka', async () => {
  const bus = openBus();
  // The contract asks for topics synchronously and each test uses one: create them up front, with
  // several partitions so that per-key order is what is tested.
  const names = await withTopics(bus, 'contract', 2, 3);
  let next = 0;
  return {
    bus,
    topic: () => {
      const name = names[next++];
      if (!name) throw new Error('the fixture has no more topics');
      return name;
    },
    cleanup: () => bus.close(),
  };
});

describe('kafka bus', () => {
  it('creates topics with the requested partitions and configuration, and tolerates existing ones', async () => {
    const topic = topicName('spec');
    created.push(topic);
    const spec = {
      topic,
      numPartitions: 4,
      replicationFactor: 1,
      configEntries: {
        'retention.ms': '3600000',
        'cleanup.policy': 'delete',
        'max.message.bytes': '2097152',
      },
    };
    const a = openBus();
    const b = openBus();
    try {
      // Two services starting at once: both succeed, one creates.
      await Promise.all([a.ensureTopics([spec]), b.ensureTopics([spec])]);
      // Again, with other settings: the existing topic is left as it is.
      await a.ensureTopics([{ ...spec, numPartitions: 2, configEntries: { 'retention.ms': '1000' } }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(4);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ['retention.ms', 'cleanup.policy', 'max.message.bytes'],
        },
      ],
    });
    const config = Object.fromEntries(
      (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
    expect(config).toEqual({
      'retention.ms': '3600000',
      'cleanup.policy': 'delete',
      'max.message.bytes': '2097152',
    });
  });

  it('does not create topics on publish or consume (auto-create is off)', async () => {
    // Few retries: an unknown topic is a retriable error, which the default settings retry for ~35 s.
    const bus = getKafkaBus({
      brokers,
      clientId: 'bus-kafka-test',
      retry: { retries: 1, initialRetryTime: 100 },
    });
    try {
      const topic = topicName('missing');
      await expect(bus.publish(topic, [{ key: 'k', value: 1, headers: {} }])).rejects.toThrow();
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await bus.close();
    }
  });

  it('delivers a record that is not JSON as its raw text, with its origin, and keeps consuming', async () => {
    const bus = openBus();
    const producer = kafka.producer();
    try {
      const [topic] = (await withTopics(bus, 'malformed', 1)) as [string];
      await producer.connect();
      await producer.send({
        topic,
        messages: [
          { key: 'a', value: '{"n": 1' },
          { key: 'a', value: Buffer.from([0xff, 0xfe, 0x00]) },
          { key: null, value: null, headers: { h: ['x', 'y'] } },
        ],
      });
      await bus.publish(topic, [{ key: 'a', value: { n: 2 }, headers: { position: '2' } }]);

      const r = receiver();
      const consumer = await bus.consume(topic, { groupId: 'malformed', onMessages: r.onMessages });
      await r.until((m) => m.length >= 4);
      await bus.publish(topic, [{ key: 'a', value: { n: 3 }, headers: {} }]);
      await r.until((m) => m.length >= 5);
      await consumer.close();

      const [raw, binary, empty, json, later] = r.received as KafkaBusMessage[];
      expect(raw).toEqual({ key: 'a', value: '{"n": 1', headers: {} });
      expect(typeof binary?.value).toBe('string');
      expect(empty).toEqual({ key: '', value: null, headers: { h: 'y' } });
      expect(json).toEqual({ key: 'a', value: { n: 2 }, headers: { position: '2' } });
      expect(later?.value).toEqual({ n: 3 });
      expect(r.received.map((m) => [m.topic, m.partition, m.offset])).toEqual(
        [0, 1, 2, 3, 4].map((offset) => [topic, 0, String(offset)]),
      );
    } finally {
      await producer.disconnect();
      await bus.close();
    }
  });

  it('resumes a consumer group after its committed offset, in a new bus (a restarted service)', async () => {
    const first = openBus();
    const [topic] = (await withTopics(first, 'resume', 1, 2)) as [string];
    const message = (i: number): BusMessage => ({ key: `k${i % 2}`, value: { i }, headers: {} });
    await first.publish(
      topic,
      Array.from({ length: 6 }, (_, i) => message(i)),
    );
    const r1 = receiver();
    await first.consume(topic, { groupId: 'resume', onMessages: r1.onMessages });
    await r1.until((m) => m.length >= 6);
    await first.close(); // closes the consumer too

    const offsets = await admin.fetchOffsets({ groupId: 'resume', topics: [topic] });
    // Per partition, the next offset to read (-1 for a partition that got no record).
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBe(6);

    const second = openBus();
    try {
      await second.publish(topic, [message(6), message(7)]);
      const r2 = receiver();
      await second.consume(topic, { groupId: 'resume', onMessages: r2.onMessages });
      await r2.until((m) => m.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r2.received.map((m) => (m.value as { i: number }).i).sort()).toEqual([6, 7]);
    } finally {
      await second.close();
    }
  });

  it("publishes a batch far over the broker's 1 MiB per request, in order, and one record over 1 MiB where the topic allows it", async () => {
    const bus = openBus();
    try {
      const [plain] = (await withTopics(bus, 'large-batch', 1)) as [string]; // the broker's default limit
      const roomy = topicName('large-record');
      await bus.ensureTopics([
        { topic: roomy, numPartitions: 1, configEntries: { 'max.message.bytes': String(16 * 1024 * 1024) } },
      ]);
      created.push(roomy);
      const filler = 'Ủy ban nhân dân xã '.repeat(50); // ~1 KB of multi-byte text
      const batch = Array.from({ length: 3_000 }, (_, i) => ({
        key: `k${i % 7}`,
        value: { i, filler },
        headers: {},
      }));
      const big = { key: 'big', value: { filler: 'x'.repeat(2 * 1024 * 1024) }, headers: {} };

      const batchReceiver = receiver();
      const bigReceiver = receiver();
      await bus.consume(plain, { groupId: 'large-batch', onMessages: batchReceiver.onMessages });
      await bus.consume(roomy, { groupId: 'large-record', onMessages: bigReceiver.onMessages });
      await bus.publish(plain, batch); // ~3.5 MB in one call
      await bus.publish(roomy, [big]);
      await batchReceiver.until((m) => m.length >= 3_000, 30_000);
      await bigReceiver.until((m) => m.length >= 1, 30_000);

      expect(batchReceiver.received.map((m) => (m.value as { i: number }).i)).toEqual(
        Array.from({ length: 3_000 }, (_, i) => i),
      );
      expect(batchReceiver.received[1]?.value).toEqual({ i: 1, filler });
      expect(bigReceiver.received[0]?.value).toEqual(big.value);
    } finally {
      await bus.close();
    }
  }, 60_000);

  it('keeps consuming, in order per key, across a broker restart', async () => {
    // A broker of its own: the shared one serves other test files meanwhile.
    const broker = await startPrivateBroker('bus-kafka-restart');
    const bus = getKafkaBus({ brokers: [...broker.brokers], clientId: 'bus-kafka-test' });
    const topic = topicName('restart');
    let failure: unknown;
    try {
      await bus.ensureTopics([{ topic, numPartitions: 3 }]);
      const keys = ['unit-1', 'unit-2', 'unit-3'];
      const batch = (from: number, count: number): BusMessage[] =>
        Array.from({ length: count }, (_, i) => from + i).flatMap((seq) =>
          keys.map((key) => ({ key, value: { seq }, headers: { seq: String(seq) } })),
        );
      const seen = (messages: BusMessage[]) => new Set(messages.map((m) => `${m.key}:${m.headers.seq}`)).size;

      const r = receiver();
      await bus.consume(topic, {
        groupId: 'restart',
        onMessages: r.onMessages,
        onError: (error) => {
          failure = error;
        },
      });
      await bus.publish(topic, batch(0, 10));
      await r.until((m) => seen(m) >= 30);

      await broker.stop();
      // Published while the broker is down: the producer retries until it is back.
      const duringOutage = bus.publish(topic, batch(10, 5));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await broker.start();
      await duringOutage;
      await bus.publish(topic, batch(15, 5));
      await r.until((m) => seen(m) >= 60, 40_000);

      expect(failure).toBeUndefined();
      for (const key of keys) {
        // At least once: a redelivery may repeat records, but first deliveries keep the key's order.
        const firsts = [
          ...new Set(r.received.filter((m) => m.key === key).map((m) => Number(m.headers.seq))),
        ];
        expect(firsts).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    } finally {
      await bus.close();
      // Its state is kept for the next run (no format): leave no topic behind.
      const privateAdmin = new Kafka({ brokers: [...broker.brokers], logLevel: logLevel.NOTHING }).admin();
      await privateAdmin
        .connect()
        .then(() => privateAdmin.deleteTopics({ topics: [topic] }))
        .finally(() => privateAdmin.disconnect())
        .catch(() => undefined);
      await broker.stop();
    }
  }, 90_000);
});
