import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchSource, Bus, BusMessage } from '../port.ts';

export interface BusFixture {
  readonly bus: Bus;
  /** A topic name no other test uses (real brokers keep topics between tests). */
  readonly topic: () => string;
  readonly cleanup: () => Promise<void>;
}

const message = (n: number, key = `stream-${n % 3}`): BusMessage => ({
  key,
  value: { n, name: 'Thị xã Phú Mỹ' },
  headers: { position: String(n) },
});

/** Collects what a consumer receives until `count` messages have arrived. */
function collector(count: number) {
  const received: BusMessage[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  return {
    received,
    all,
    onMessages: (messages: readonly BusMessage[]) => {
      received.push(...messages);
      if (received.length >= count) done();
    },
  };
}

/** Collects what a consumer of several topics receives, by the topic each batch says it came from. */
function byTopic(count: number) {
  const c = collector(count);
  const seen = new Map<string, number[]>();
  return {
    ...c,
    seen,
    onMessages: (messages: readonly BusMessage[], source?: BatchSource) => {
      const topic = source?.topic ?? '(none)';
      seen.set(topic, [...(seen.get(topic) ?? []), ...messages.map((m) => (m.value as { n: number }).n)]);
      c.onMessages(messages);
    },
  };
}

const within = <T>(promise: Promise<T>, ms = 10_000) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms)),
  ]);

/**
 * The behaviour every bus adapter must have, whatever carries the messages. Delivery is at least
 * once; these tests check order, groups and failure handling, not exactly-once.
 */
export function busContract(adapterName: string, createFixture: () => Promise<BusFixture>): void {
  describe(`bus contract: ${adapterName}`, () => {
    let fixture: BusFixture;
    beforeEach(async () => {
      fixture = await createFixture();
    });
    afterEach(() => fixture.cleanup());

    it('delivers published messages in order, with key, value and headers intact', async () => {
      const topic = fixture.topic();
      const sent = Array.from({ length: 20 }, (_, i) => message(i + 1, 'one-stream'));
      await fixture.bus.publish(topic, sent);
      const c = collector(sent.length);
      const consumer = await fixture.bus.consume(topic, { groupId: 'g1', onMessages: c.onMessages });
      await within(c.all);
      await consumer.close();
      expect(c.received).toEqual(sent);
    });

    it('delivers messages published after the consumer started', async () => {
      const topic = fixture.topic();
      const c = collector(3);
      const consumer = await fixture.bus.consume(topic, { groupId: 'g1', onMessages: c.onMessages });
      await fixture.bus.publish(topic, [message(1, 'k')]);
      await fixture.bus.publish(topic, [message(2, 'k'), message(3, 'k')]);
      await within(c.all);
      await consumer.close();
      expect(c.received.map((m) => (m.value as { n: number }).n)).toEqual([1, 2, 3]);
    });

    it('gives each consumer group every message, and a group resumes after its committed offset', async () => {
      const topic = fixture.topic();
      await fixture.bus.publish(topic, [message(1, 'k'), message(2, 'k')]);
      const a = collector(2);
      const b = collector(2);
      const ca = await fixture.bus.consume(topic, { groupId: 'a', onMessages: a.onMessages });
      const cb = await fixture.bus.consume(topic, { groupId: 'b', onMessages: b.onMessages });
      await within(Promise.all([a.all, b.all]));
      await ca.close();
      await cb.close();
      expect(a.received).toHaveLength(2);
      expect(b.received).toHaveLength(2);

      await fixture.bus.publish(topic, [message(3, 'k')]);
      const again = collector(1);
      const ca2 = await fixture.bus.consume(topic, { groupId: 'a', onMessages: again.onMessages });
      await within(again.all);
      await ca2.close();
      expect(again.received.map((m) => (m.value as { n: number }).n)).toEqual([3]);
    });

    it('stops a consumer whose handler fails, reports it, and does not commit the failed batch', async () => {
      const topic = fixture.topic();
      await fixture.bus.publish(topic, [message(1, 'k')]);
      let failed: unknown;
      const reported = new Promise<void>((resolve) => {
        void fixture.bus.consume(topic, {
          groupId: 'g',
          onMessages: () => {
            throw new Error('cannot apply');
          },
          onError: (error) => {
            failed = error;
            resolve();
          },
        });
      });
      await within(reported);
      expect((failed as Error).message).toBe('cannot apply');

      const retry = collector(1);
      const consumer = await fixture.bus.consume(topic, { groupId: 'g', onMessages: retry.onMessages });
      await within(retry.all);
      await consumer.close();
      expect(retry.received.map((m) => (m.value as { n: number }).n)).toEqual([1]);
    });

    it('reads several topics in one group, each batch from one topic and saying which, each topic in order', async () => {
      const [a, b] = [fixture.topic(), fixture.topic()];
      await fixture.bus.publish(a, [message(1, 'k'), message(2, 'k'), message(3, 'k')]);
      await fixture.bus.publish(b, [message(11, 'k'), message(12, 'k')]);
      const c = byTopic(5);
      const consumer = await fixture.bus.consume(a, {
        groupId: 'multi',
        alsoTopics: [b],
        onMessages: c.onMessages,
      });
      await within(c.all);
      await consumer.close();
      expect(Object.fromEntries(c.seen)).toEqual({ [a]: [1, 2, 3], [b]: [11, 12] });
    });

    it('keeps a group’s offsets when it consumes again with more topics, and starts a new topic at its oldest message', async () => {
      const [a, b] = [fixture.topic(), fixture.topic()];
      await fixture.bus.publish(a, [message(1, 'k'), message(2, 'k')]);
      await fixture.bus.publish(b, [message(11, 'k')]);
      const first = byTopic(2);
      const alone = await fixture.bus.consume(a, { groupId: 'grows', onMessages: first.onMessages });
      await within(first.all);
      await alone.close();
      expect(Object.fromEntries(first.seen)).toEqual({ [a]: [1, 2] });

      // The same group, now with b too: a resumes after what it committed, b starts at its oldest.
      await fixture.bus.publish(a, [message(3, 'k')]);
      const second = byTopic(2);
      const both = await fixture.bus.consume(a, {
        groupId: 'grows',
        alsoTopics: [b],
        onMessages: second.onMessages,
      });
      await within(second.all);
      await fixture.bus.publish(b, [message(12, 'k')]);
      await within(
        new Promise<void>((resolve) => {
          const poll = () => (second.received.length >= 3 ? resolve() : setTimeout(poll, 20));
          poll();
        }),
      );
      await both.close();
      expect(Object.fromEntries(second.seen)).toEqual({ [a]: [3], [b]: [11, 12] });
    });

    it('stops delivering once a consumer is closed', async () => {
      const topic = fixture.topic();
      const c = collector(1);
      const consumer = await fixture.bus.consume(topic, { groupId: 'g', onMessages: c.onMessages });
      await fixture.bus.publish(topic, [message(1)]);
      await within(c.all);
      await consumer.close();
      await fixture.bus.publish(topic, [message(2)]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(c.received).toHaveLength(1);
    });
  });
}
