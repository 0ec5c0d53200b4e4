import type { Bus, BusMessage, ConsumeOptions, Consumer } from './port.ts';

interface Topic {
  readonly messages: BusMessage[];
  /** Committed offset of each consumer group: the index of the next message to deliver. */
  readonly offsets: Map<string, number>;
  readonly wakers: Set<() => void>;
}

/**
 * The bus of the all-in-one server: topics live in memory for the life of the process and a new
 * consumer group starts at the beginning. Nothing survives a restart; consumers catch up from
 * the event store, which is the source of truth.
 */
export function getInProcessBus(): Bus {
  const topics = new Map<string, Topic>();
  const consumers = new Set<Consumer>();

  const topic = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = { messages: [], offsets: new Map(), wakers: new Set() };
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
        const from = t.offsets.get(options.groupId) ?? 0;
        if (from >= t.messages.length) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const batch = t.messages.slice(from);
        try {
          await options.onMessages(batch);
        } catch (error) {
          open = false;
          options.onError?.(error);
          break;
        }
        t.offsets.set(options.groupId, from + batch.length);
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
