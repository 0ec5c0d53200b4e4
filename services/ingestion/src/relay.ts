import { type Bus, topics } from '@ledger/bus';
import type { RecordedEvent } from '@ledger/domain';
import type { Checkpoints, EventStore, SavedCheckpoint, Subscription } from '@ledger/event-store';
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
  /** How far it has published, for the ops endpoints: 'retrying' while it cannot publish. */
  state(): { name: 'relay'; status: 'live' | 'retrying' | 'stopped'; checkpoint: number; retrying: boolean };
}

/**
 * Where the relay resumes: after its checkpoint, if the log agrees that the event it published
 * there is the one at that position. If the log is shorter (a backup restored) or holds another
 * event there (another ledger's store), it goes back to the last saved position that the log agrees
 * with, or to the start: publishing again is safe, consumers skip what they already have. Without
 * this, a checkpoint ahead of a restored log would hold back every event until the log caught up.
 */
export async function agreeingCheckpoint(
  store: EventStore,
  checkpoints: Checkpoints,
  logger: Logger,
): Promise<number> {
  const saved = await checkpoints.load(RELAY_CHECKPOINT);
  if (saved === 0) return 0;
  const head = (await store.head()).position;
  const agrees = async (c: SavedCheckpoint) => {
    if (c.position > head) return false;
    const [event] = await store.readAll({ after: c.position - 1, limit: 1 });
    return event?.position === c.position && (c.eventId === undefined || event.eventId === c.eventId);
  };
  const trail = (await checkpoints.trail(RELAY_CHECKPOINT)).filter((c) => c.position <= saved);
  const last = trail.at(-1) ?? { position: saved };
  if (last.position === saved && (await agrees(last))) return saved;
  // The saves agree with the log up to some point and not after it: find the last that does.
  let lo = -1;
  let hi = trail.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (await agrees(trail[mid] as SavedCheckpoint)) lo = mid;
    else hi = mid;
  }
  const from =
    lo >= 0 ? (trail[lo] as SavedCheckpoint).position : trail.length === 0 ? Math.min(saved, head) : 0;
  logger.warn(
    { checkpoint: saved, head, from },
    saved > head
      ? 'the relay checkpoint is past the head of the log (a restored backup?): publishing again from the last position the log agrees with'
      : 'the log does not hold the event the relay published at its checkpoint (another store?): publishing again from the last position the log agrees with',
  );
  return from;
}

export async function startRelay(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  after?: number;
  checkpoints?: Checkpoints;
}): Promise<Relay> {
  const { store, bus, logger, checkpoints } = deps;
  const after = checkpoints ? await agreeingCheckpoint(store, checkpoints, logger) : (deps.after ?? 0);
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
      const last = events.at(-1) as RecordedEvent;
      published = last.position;
      await checkpoints?.save(RELAY_CHECKPOINT, published, last.eventId);
    },
    onError: (error) => {
      status = 'stopped';
      logger.error({ err: error }, 'relay stopped');
    },
  });
  return {
    state: () => ({
      name: 'relay',
      status: status === 'live' && retrying ? 'retrying' : status,
      checkpoint: published,
      retrying,
    }),
    close: async () => {
      closing = true;
      interrupt();
      await subscription.close();
      status = 'stopped';
    },
  };
}
