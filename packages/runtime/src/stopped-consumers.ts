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

/** What a split service knows of its broker (the bus's `health()`). */
export interface BrokerReachability {
  readonly connected: boolean;
  readonly reason?: string;
  readonly since?: string;
}

/** A follower's state while its broker cannot be reached: `waiting-for-broker`, with why and since when. */
export type WaitingForBroker<S> = Omit<S, 'status'> & {
  readonly status: string;
  readonly broker?: { readonly reason: string; readonly since?: string };
};

/**
 * The followers (projections, workers) of a split service, as `/readyz` and `GET /v1/ops/projections`
 * report them: while the broker cannot be reached, one that would say `live` (or `catching-up`,
 * `retrying`) says `waiting-for-broker`, with the reason, so the service is not ready; its
 * consumers and producer go on retrying meanwhile, and it is `live` again once the broker answers.
 * One that failed or stopped keeps saying so (docs/operations.md, "Broker outage").
 */
export function reportingBrokerOutage<F extends { state(): { readonly status: string } }>(
  followers: readonly F[] | undefined,
  reachability: () => BrokerReachability,
): F[] | undefined {
  if (!followers) return undefined;
  return followers.map((follower) => {
    const wrapped = Object.create(follower) as F;
    Object.defineProperty(wrapped, 'state', {
      value: () => {
        const state = follower.state();
        if (state.status === 'failed' || state.status === 'stopped') return state;
        const broker = reachability();
        if (broker.connected) return state;
        return {
          ...state,
          status: 'waiting-for-broker',
          broker: {
            reason: broker.reason ?? 'the broker does not answer',
            ...(broker.since ? { since: broker.since } : {}),
          },
        };
      },
    });
    return wrapped;
  });
}
