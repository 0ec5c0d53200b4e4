import type { Bus } from '@ledger/bus';

/**
 * The bus, with every consumer that stops for good (its handler failed, or Kafka gave up on it)
 * reported to `onStopped` after the consumer's own onError. A split service cannot resume such a
 * consumer in place; runService exits so that its supervisor starts it again, and the records not
 * yet committed are delivered again (at least once; consumers skip what they already have).
 */
export function reportingStoppedConsumers(
  bus: Bus,
  onStopped: (topic: string, groupId: string, error: unknown) => void,
): Bus {
  return {
    publish: (topic, messages) => bus.publish(topic, messages),
    consume: (topic, options) =>
      bus.consume(topic, {
        ...options,
        onError: (error) => {
          try {
            options.onError?.(error);
          } finally {
            onStopped(topic, options.groupId, error);
          }
        },
      }),
    close: () => bus.close(),
  };
}
