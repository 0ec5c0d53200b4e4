import { describe, expect, it } from 'vitest';
import { getInProcessBus } from '../src/index.ts';
import { busContract } from '../src/testing/index.ts';

let n = 0;
busContract('in-process', async () => {
  const bus = getInProcessBus();
  return { bus, topic: () => `test-topic-${++n}`, cleanup: () => bus.close() };
});

describe('the in-process bus', () => {
  it('drops what every group has consumed beyond the last 10,000 messages, and keeps delivering', async () => {
    const bus = getInProcessBus();
    const seen: number[] = [];
    const consumer = await bus.consume('t', {
      groupId: 'g',
      onMessages: (messages) => {
        for (const m of messages) seen.push((m.value as { n: number }).n);
      },
    });
    for (let n = 0; n < 25_000; n += 1000)
      await bus.publish(
        't',
        Array.from({ length: 1000 }, (_, i) => ({ key: 'k', value: { n: n + i }, headers: {} })),
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    const late: number[] = [];
    const lateConsumer = await bus.consume('t', {
      groupId: 'late',
      onMessages: (messages) => {
        for (const m of messages) late.push((m.value as { n: number }).n);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(late[0]).toBeGreaterThanOrEqual(14_000);
    expect(late.at(-1)).toBe(24_999);
    await consumer.close();
    await lateConsumer.close();
    await bus.close();
  });
});
