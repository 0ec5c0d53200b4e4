import type { Bus, BusMessage, ConsumeOptions, Consumer } from './port.ts';

interface Topic {
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
      t = { messages: [], base: 0, offsets: new Map(), wakers: new Set() };
      topics.set(name, t);
    }
    return t;
  };

  const consume = async (name: string, options: ConsumeOptions): Promise<Consumer> => {
    const t = topic(name);
    let open = true;
    let wake: (() => void) | undefined;
    const waker = () => wake?.();
    t.wakers.add(waker);

    const loop = (async () => {
      while (open) {
        const from = Math.max(t.offsets.get(options.groupId) ?? 0, t.base);
        if (from >= t.base + t.messages.length) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const batch = t.messages.slice(from - t.base);
        try {
          await options.onMessages(batch);
        } catch (error) {
          open = false;
          options.onError?.(error);
          break;
        }
        t.offsets.set(options.groupId, from + batch.length);
        const drop = Math.min(...t.offsets.values()) - t.base - RETAINED;
        if (drop > 0) {
          t.messages.splice(0, drop);
          t.base += drop;
        }
      }
    })();

    const consumer: Consumer = {
      close: async () => {
        open = false;
        t.wakers.delete(waker);
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
      t.messages.push(...messages);
      for (const w of t.wakers) w();
    },
    consume,
    close: async () => {
      await Promise.all([...consumers].map((c) => c.close()));
    },
  };
}
