import { type BusMessage, getInProcessBus } from '@ledger/bus';
import { describe, expect, it } from 'vitest';
import { reportingStoppedConsumers } from '../src/stopped-consumers.ts';

const message = (key: string): BusMessage => ({ key, value: { key }, headers: {} });

describe('a consumer that stops for good is reported', () => {
  it('after its own onError, with the topic, the group and the reason; a healthy one and a closed one are not', async () => {
    const calls: string[] = [];
    const bus = reportingStoppedConsumers(getInProcessBus(), (topic, groupId, error) =>
      calls.push(`stopped ${topic} ${groupId}: ${(error as Error).message}`),
    );
    const seen: string[] = [];
    // Given a consumer whose handler fails on a record, one that takes everything, and one closed early
    await bus.consume('t', {
      groupId: 'failing',
      onMessages: (messages) => {
        if (messages.some((m) => m.key === 'poison')) throw new Error('cannot apply poison');
      },
      onError: (error) => calls.push(`own onError: ${(error as Error).message}`),
    });
    await bus.consume('t', {
      groupId: 'healthy',
      onMessages: (messages) => void seen.push(...messages.map((m) => m.key)),
    });
    const closed = await bus.consume('t', { groupId: 'closed', onMessages: () => undefined });
    await closed.close();

    // When a poison record arrives
    await bus.publish('t', [message('a'), message('poison'), message('b')]);
    await expect.poll(() => calls.length).toBe(2);

    // Then the failing consumer's own handler hears it first, and the report follows, once
    expect(calls).toEqual(['own onError: cannot apply poison', 'stopped t failing: cannot apply poison']);
    await expect.poll(() => seen).toEqual(['a', 'poison', 'b']);
    await bus.close();
    expect(calls).toHaveLength(2);
  });
});
