import type { Bus, BusMessage, ConsumeOptions, Consumer } from './port.ts';

interface Topic {
  readonly name: string;
  readonly messages: BusMessage[];
  /** Offset of messages[0]: older messages, consumed by every group, have been dropped. */
  base: number;
  /** Committed offset of each consumer group: the offset of the next message to deliver. */
  readonly offsets: Map<string, number>;
  readonly wakers: Set<() => void>;
}

/** Messages kept after every group has consumed them, for a group that joins late. */
const RETAINED = 10_000;

/**
 * A published message as consumers get it: where it came from is readable but not enumerable, so
 * that it compares, spreads and serializes like the one that was published (as Kafka's do).
 */
const stored = (m: BusMessage, topic: string, offset: number): BusMessage => {
  const message = { key: m.key, value: m.value, headers: m.headers };
  Object.defineProperties(message, {
    topic: { value: topic, enumerable: false },
    partition: { value: 0, enumerable: false },
    offset: { value: String(offset), enumerable: false },
  });
  return message;
};

/**
 * The bus of the all-in-one server: topics live in memory and a new consumer group starts at the
 * oldest message kept (the last 10,000 that every group has consumed, and all the others). Nothing
 * survives a restart; consumers catch up from the event store, which is the source of truth.
 */
export function getInProcessBus(): Bus {
  const topics = new Map<string, Topic>();
  const consumers = new Set<Consumer>();

  const topic = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = { name, messages: [], base: 0, offsets: new Map(), wakers: new Set() };
      topics.set(name, t);
    }
    return t;
  };

  const consume = async (name: string, options: ConsumeOptions): Promise<Consumer> => {
    // One loop over every topic of the consumer: one batch at a time, each from one topic.
    const read = [...new Set([name, ...(options.alsoTopics ?? [])])].map(topic);
    let open = true;
    let wake: (() => void) | undefined;
    /** Set by every publish to one of the topics: a pass that began before it looks again. */
    let published = false;
    const waker = () => {
      published = true;
      wake?.();
    };
    for (const t of read) t.wakers.add(waker);

    /** Delivers what `t` holds for the group; false if it held nothing, or the consumer stopped. */
    const deliver = async (t: Topic): Promise<boolean> => {
      const from = Math.max(t.offsets.get(options.groupId) ?? 0, t.base);
      if (from >= t.base + t.messages.length) return false;
      const batch = t.messages.slice(from - t.base);
      try {
        await options.onMessages(batch, { topic: t.name });
      } catch (error) {
        open = false;
        options.onError?.(error);
        return false;
      }
      t.offsets.set(options.groupId, from + batch.length);
      const drop = Math.min(...t.offsets.values()) - t.base - RETAINED;
      if (drop > 0) {
        t.messages.splice(0, drop);
        t.base += drop;
      }
      return true;
    };

    const loop = (async () => {
      while (open) {
        published = false;
        let delivered = false;
        for (const t of read) if (open && (await deliver(t))) delivered = true;
        if (delivered || published || !open) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    })();

    const consumer: Consumer = {
      close: async () => {
        open = false;
        for (const t of read) t.wakers.delete(waker);
        wake?.();
        await loop;
        consumers.delete(consumer);
      },
    };
    consumers.add(consumer);
    return consumer;
  };

  return {
    publish: async (name, messages) => {
      const t = topic(name);
      const next = t.base + t.messages.length;
      for (let i = 0; i < messages.length; i++)
        t.messages.push(stored(messages[i] as BusMessage, name, next + i));
      for (const w of t.wakers) w();
    },
    consume,
    close: async () => {
      await Promise.all([...consumers].map((c) => c.close()));
    },
  };
}
