/**
 * The scoring thread behind thread.ts: the scoring worker with its own store connection, fed by
 * an in-process bus that a subscription to that store fills.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Bus, getInProcessBus, topics } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createScoringFollower } from './follower.ts';
import type { FromScoringThread, ScoringThreadData, ToScoringThread } from './thread.ts';

const data = workerData as ScoringThreadData;
const port = parentPort as NonNullable<typeof parentPort>;
const tell = (message: FromScoringThread) => port.postMessage(message);
// The parent's bindings include what createLogger puts in every line (`service`, and pino's `name`):
// binding those again would repeat the keys in each line (`"name":"ledger","name":"ledger"`).
const { service, name: _name, ...bindings } = data.logBindings as { service?: string; name?: string };
const logger = createLogger(service ?? 'ledger', data.logLevel).child(bindings);

// Scores and their checkpoint are recomputed if a power loss drops them: no fsync per commit, so
// the write lock is held for less time and ingestion's appends wait less.
const store = getSQLiteEventStore({ path: data.storePath, durability: 'derived' });
const local = getInProcessBus();
/** Events read from the store and not yet handled; above MAX_WAITING the reading waits: the log is the buffer. */
let waiting = 0;
const MAX_WAITING = 20_000;
let handled: (() => void) | undefined;
// After each batch the worker has handled, the state it left: how far scoring is.
const bus: Bus = {
  publish: local.publish,
  close: local.close,
  consume: (topic, options) =>
    local.consume(topic, {
      ...options,
      onMessages: async (messages) => {
        try {
          await options.onMessages(messages);
        } finally {
          waiting -= messages.length;
          handled?.();
          tell({ kind: 'state', state: worker.state() });
        }
      },
    }),
};
const worker = createScoringFollower({ store, bus, logger });
let stopped = false;
// What is appended from now on reaches the worker through the bus; what came before, it catches up on.
const following = store.subscribe({
  after: (await store.head()).position,
  onEvents: async (events) => {
    while (waiting > MAX_WAITING && !stopped) await new Promise<void>((resolve) => (handled = resolve));
    waiting += events.length;
    await local.publish(
      topics.events,
      events.map((e) => ({ key: e.streamId, value: e, headers: {} })),
    );
  },
  onError: (error) => logger.error({ err: error }, 'the scoring thread stopped following the log'),
});

const stop = async () => {
  if (stopped) return;
  stopped = true;
  handled?.();
  await following.close();
  await worker.stop();
  await local.close();
  await store.close();
  tell({ kind: 'stopped', state: worker.state() });
  port.close();
};

port.on('message', (message: ToScoringThread) => {
  if (message === 'appended') store.notifyAppended();
  else void stop();
});

try {
  await worker.start();
  tell({ kind: 'started', state: worker.state() });
} catch (error) {
  tell({ kind: 'failed', state: worker.state(), error: (error as Error).message });
}
