import type { EventEmitter } from 'node:events';
import type { RecordedEvent } from '@ledger/domain';
import type { SubscribeOptions, Subscription } from '@ledger/event-store';

export const APPENDED = 'appended';

export interface SubscriptionSource {
  /** Events with position > after, in position order, at most limit of them. */
  readonly read: (after: number, limit: number) => RecordedEvent[];
  /** Emits APPENDED after each commit of this store instance. */
  readonly signal: EventEmitter;
  /** How often to look for events other processes wrote. */
  readonly pollIntervalMs: number;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * Delivers batches until closed or until onEvents (or a read) fails. Sleeps between empty reads;
 * an append by this store instance wakes it at once, a poll timer catches other processes' writes.
 */
export function startSubscription(source: SubscriptionSource, options: SubscribeOptions): Subscription {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TypeError('batchSize must be a positive integer');
  }
  let checkpoint = options.after;
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  // The timer stays referenced on purpose: a process whose only work is a live subscription (a
  // projector following another process's file) must not exit. close() clears it.
  const sleep = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(notify, source.pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    source.signal.on(APPENDED, notify);
    try {
      // Start after subscribe() has returned, so onEvents never runs before the caller holds the subscription.
      await Promise.resolve();
      while (!closed) {
        const batch = source.read(checkpoint, batchSize);
        const last = batch.at(-1);
        if (last === undefined) {
          // No await between the empty read and registering `wake`, so no append can slip between.
          await sleep();
          continue;
        }
        await options.onEvents(batch);
        checkpoint = last.position;
      }
    } catch (error) {
      if (!closed) {
        closed = true;
        report(options, error);
      }
    } finally {
      source.signal.off(APPENDED, notify);
    }
  };
  const running = run();

  return {
    close: async () => {
      closed = true;
      notify();
      await running;
    },
  };
}

function report(options: SubscribeOptions, error: unknown): void {
  if (options.onError === undefined) {
    process.emitWarning(`event-store subscription stopped: ${String(error)}`);
    return;
  }
  try {
    options.onError(error);
  } catch (inner) {
    process.emitWarning(`event-store subscription onError threw: ${String(inner)}`);
  }
}
