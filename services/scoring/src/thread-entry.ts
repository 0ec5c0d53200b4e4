/**
 * The scoring thread behind thread.ts: the scoring worker with its own store connection, fed by an
 * in-process bus that the starting thread fills with the events it receives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Bus, getInProcessBus, topics } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import type { FromScoringThread, ScoringThreadData, ToScoringThread } from './thread.ts';
import { createScoringWorker } from './worker.ts';

const data = workerData as ScoringThreadData;
const port = parentPort as NonNullable<typeof parentPort>;
const tell = (message: FromScoringThread) => port.postMessage(message);
const { service, ...bindings } = data.logBindings as { service?: string };
const logger = createLogger(service ?? 'ledger', data.logLevel).child(bindings);

const store = getSQLiteEventStore({ path: data.storePath });
const local = getInProcessBus();
// Each batch the worker has handled is reported with the state it left, so the other side knows
// how far scoring is and how many forwarded messages are still waiting.
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
          tell({ kind: 'state', state: worker.state(), consumed: messages.length });
        }
      },
    }),
};
const worker = createScoringWorker({
  store,
  bus,
  logger,
  ...(data.pageSize ? { pageSize: data.pageSize } : {}),
});

let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await worker.stop();
  await local.close();
  await store.close();
  tell({ kind: 'stopped', state: worker.state() });
  port.close();
};

port.on('message', (message: ToScoringThread) => {
  if (message.kind === 'events') void local.publish(topics.events, message.messages);
  else void stop();
});

try {
  await worker.start();
  tell({ kind: 'started', state: worker.state() });
} catch (error) {
  tell({ kind: 'failed', state: worker.state(), error: (error as Error).message });
}
