import { type Bus, type Consumer, topics } from '@ledger/bus';
import {
  createLedgerIndex,
  evolve,
  headPosition,
  isLedgerEventType,
  type LedgerIndex,
  parseEventBody,
  type RecordedEvent,
} from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import type { Logger } from '@ledger/http';

export type ProjectionStatus = 'starting' | 'catching-up' | 'live' | 'failed' | 'stopped';

export interface ProjectionState {
  readonly name: string;
  readonly status: ProjectionStatus;
  /** Position of the last event applied. */
  readonly checkpoint: number;
  /** Why the projection stopped, when it failed. */
  readonly error?: { readonly position: number; readonly eventId: string; readonly message: string };
}

export interface Projection {
  readonly index: LedgerIndex;
  state(): ProjectionState;
  /** Catches up from the store, then follows the events topic. */
  start(): Promise<void>;
  /** Resolves once the projection has applied every event up to `position`; false on timeout or failure. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The as-of index projection. It folds every event into the domain's temporal index. An event it
 * cannot apply stops it where it is: skipping one would make every later replay lie.
 */
export function createProjection(deps: {
  store: EventStore;
  bus: Bus;
  logger: Logger;
  name?: string;
  pageSize?: number;
}): Projection {
  const { store, bus } = deps;
  const name = deps.name ?? 'as-of-index';
  const logger = deps.logger.child({ projection: name });
  const pageSize = deps.pageSize ?? 5_000;
  const index = createLedgerIndex();
  let status: ProjectionStatus = 'starting';
  let error: ProjectionState['error'];
  let consumer: Consumer | undefined;
  const waiters = new Set<{ position: number; resolve: (ok: boolean) => void }>();

  const notify = () => {
    for (const w of waiters)
      if (status === 'failed' || headPosition(index) >= w.position) {
        waiters.delete(w);
        w.resolve(status !== 'failed');
      }
  };

  /** Applies events in order, skipping those already applied (redeliveries). */
  const apply = (events: readonly RecordedEvent[]) => {
    for (const event of events) {
      if (status === 'failed') return;
      if (event.position <= headPosition(index)) continue;
      try {
        const body = isLedgerEventType(event.type) ? parseEventBody(event.type, event.data) : undefined;
        evolve(index, body ? { ...event, ...body } : event);
      } catch (e) {
        status = 'failed';
        error = { position: event.position, eventId: event.eventId, message: (e as Error).message };
        logger.error({ err: e, position: event.position, eventId: event.eventId }, 'projection stopped');
      }
    }
    notify();
  };

  const catchUp = async () => {
    const target = (await store.head()).position;
    const started = Date.now();
    let lastLog = started;
    for (;;) {
      const events = await store.readAll({ after: headPosition(index), limit: pageSize });
      apply(events);
      if (status === 'failed' || events.length < pageSize) break;
      if (Date.now() - lastLog > 1_000) {
        lastLog = Date.now();
        logger.info({ position: headPosition(index), target }, 'catching up');
      }
    }
    logger.info({ position: headPosition(index), ms: Date.now() - started }, 'caught up');
  };

  return {
    index,
    state: () => ({ name, status, checkpoint: headPosition(index), ...(error ? { error } : {}) }),
    start: async () => {
      status = 'catching-up';
      // Subscribe first so nothing published during the catch-up is missed; duplicates are skipped.
      const buffered: RecordedEvent[] = [];
      let live = false;
      consumer = await bus.consume(topics.events, {
        groupId: name,
        onMessages: (messages) => {
          const events = messages.map((m) => m.value as RecordedEvent);
          if (live) apply(events);
          else buffered.push(...events);
        },
        onError: (e) => logger.error({ err: e }, 'events consumer stopped'),
      });
      await catchUp();
      live = true;
      apply(buffered.splice(0));
      if ((status as ProjectionStatus) !== 'failed') status = 'live';
    },
    waitFor: (position, timeoutMs) => {
      if (headPosition(index) >= position) return Promise.resolve(true);
      if (status === 'failed') return Promise.resolve(false);
      return new Promise((resolve) => {
        const waiter = {
          position,
          resolve: (ok: boolean) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop: async () => {
      await consumer?.close();
      if (status !== 'failed') status = 'stopped';
      for (const w of waiters) w.resolve(false);
      waiters.clear();
    },
  };
}
