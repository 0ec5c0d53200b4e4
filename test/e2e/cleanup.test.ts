import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteNamespace } from './stack.ts';
import { brokers, kafkaClient, uniqueNamespace } from './support.ts';

// The e2e stacks and the Kafka benches delete what they created on the shared broker when they stop.
describe('deleting a namespace from the broker', () => {
  const admin = kafkaClient().admin();
  const mine = uniqueNamespace('cleanup');
  const other = uniqueNamespace('kept');
  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [`${mine}ledger.events.v1`, `${mine}ledger.commands.v1`, `${other}ledger.events.v1`].map(
        (topic) => ({ topic, numPartitions: 1 }),
      ),
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    await deleteNamespace(brokers(), other);
    await admin.disconnect();
  });

  it("removes that namespace's topics and consumer groups, and nothing else", async () => {
    const consumer = kafkaClient().consumer({ groupId: `${mine}scoring` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${mine}ledger.events.v1`, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await consumer.disconnect();
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(`${mine}scoring`);

    await deleteNamespace(brokers(), mine);

    const topics = await admin.listTopics();
    expect(topics.filter((t) => t.startsWith(mine))).toEqual([]);
    expect(topics).toContain(`${other}ledger.events.v1`);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(`${mine}scoring`);
  });

  it('refuses the empty namespace, which would be every topic', async () => {
    await expect(deleteNamespace(brokers(), '')).rejects.toThrow(/empty namespace/);
  });
});
