import { type Bus, topics } from '@ledger/bus';
import type { RecordedEvent } from '@ledger/domain';
import type { Checkpoints, EventStore, Subscription } from '@ledger/event-store';
import type { Logger } from '@ledger/http';

/** The record the relay publishes for one event: keyed by stream, so each stream keeps its order. */
export const eventMessage = (e: RecordedEvent) => ({
  key: e.streamId,
  value: e,
  headers: { eventId: e.eventId, position: String(e.position), recordedAt: e.recordedAt, type: e.type },
});

export const RELAY_CHECKPOINT = 'relay:ledger.events.v1';

/**
 * Publishes what the store records to the events topic, in log order, at least once. The store
 * is the single source of truth: nothing is published that was not recorded first. With
 * checkpoints, it saves the last position published after each batch and resumes after it; a
 * crash between publishing and saving publishes that batch again, and consumers skip what they
 * already have. Without, it starts after `after` (the in-process bus, whose consumers catch up
 * from the store).
 */
export interface Relay extends Subscription {
  /** How far it has published, for the ops endpoints. */
  state(): { name: 'relay'; status: 'live' | 'stopped'; checkpoint: number; retrying: boolean };
}

export async function startRelay(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  after?: number;
  checkpoints?: Checkpoints;
}): Promise<Relay> {
  const { store, bus, logger, checkpoints } = deps;
  const after = checkpoints ? await checkpoints.load(RELAY_CHECKPOINT) : (deps.after ?? 0);
  let published = after;
  // Writes do not wait for Kafka, so a broker outage leaves the service ready; ops shows `retrying`.
  let status: 'live' | 'stopped' = 'live';
  let retrying = false;
  // Closing interrupts a retry wait, so a service stops during a broker outage; the batch is
  // published again after the restart (at least once).
  let closing = false;
  let interrupt = () => {};
  logger.info({ after }, 'relay starting');
  const subscription = store.subscribe({
    after,
    onEvents: async (events) => {
      // A broker outage holds the relay here, retrying, instead of stopping it: the log only waits.
      for (let attempt = 1; ; attempt++) {
        try {
          await bus.publish(topics.events, events.map(eventMessage));
          retrying = false;
          break;
        } catch (error) {
          if (closing) throw new Error('relay closed while retrying a publish');
          retrying = true;
          const waitMs = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
          logger.warn({ err: error, attempt, waitMs, from: events[0]?.position }, 'publish failed; retrying');
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            interrupt = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (closing) throw new Error('relay closed while retrying a publish');
        }
      }
      published = (events.at(-1) as RecordedEvent).position;
      await checkpoints?.save(RELAY_CHECKPOINT, published);
    },
    onError: (error) => {
      status = 'stopped';
      logger.error({ err: error }, 'relay stopped');
    },
  });
  return {
    state: () => ({ name: 'relay', status, checkpoint: published, retrying }),
    close: async () => {
      closing = true;
      interrupt();
      await subscription.close();
      status = 'stopped';
    },
  };
}
