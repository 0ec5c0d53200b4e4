import { type Bus, topics } from '@ledger/bus';
import type { RecordedEvent } from '@ledger/domain';
import type { EventStore, Subscription } from '@ledger/event-store';
import type { Logger } from '@ledger/http';

/** The record the relay publishes for one event: keyed by stream, so each stream keeps its order. */
export const eventMessage = (e: RecordedEvent) => ({
  key: e.streamId,
  value: e,
  headers: { eventId: e.eventId, position: String(e.position), recordedAt: e.recordedAt, type: e.type },
});

/**
 * Publishes what the store records to the events topic, in log order, at least once. The store
 * is the single source of truth: nothing is published that was not recorded first.
 */
export function startRelay(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  after: number;
}): Subscription {
  const { store, bus, logger } = deps;
  return store.subscribe({
    after: deps.after,
    onEvents: async (events) => {
      await bus.publish(topics.events, events.map(eventMessage));
    },
    onError: (error) => logger.error({ err: error }, 'relay stopped'),
  });
}
