import type { EventEmitter } from 'node:events';
import type { RecordedEvent } from '@ledger/domain';
import type { SubscribeOptions, Subscription } from './port.ts';

export const APPENDED = 'appended';

export interface SubscriptionSource {
  /** Events with position > after, in position order, at most limit of them. */
  readonly read: (after: number, limit: number) => RecordedEvent[] | Promise<RecordedEvent[]>;
  /** Emits APPENDED when something may have been appended (the store's own appends, a server's live feed). */
  readonly signal: EventEmitter;
  /** How long to sleep on an empty read when no signal comes (a safety net under the live subscription). */
  readonly pollIntervalMs: number;
  /** A dropped connection or a leader change: retried from the checkpoint instead of stopping. Default: none is. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Told once per outage, when reads start failing transiently. */
  readonly onOutage?: (error: unknown) => void;
}

const DEFAULT_BATCH_SIZE = 500;
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * The catch-up subscription every adapter builds on its reads: reads a batch after the checkpoint, hands it over, waits
 * for it to be handled, and moves the checkpoint to its last event; on an empty read it sleeps until
 * a signal (or the poll interval). A transient failure (the connection dropped, the leader changed)
 * is retried with backoff from the last delivered position, so nothing is lost or delivered twice.
 * An error from onEvents, or any other failure, calls onError once and stops.
 */
export function startSubscription(source: SubscriptionSource, options: SubscribeOptions): Subscription {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TypeError('batchSize must be a positive integer');
  }
  let checkpoint = options.after;
  let closed = false;
  let signals = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    signals++;
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    source.signal.on(APPENDED, notify);
    let failures = 0;
    try {
      await Promise.resolve();
      while (!closed) {
        const seen = signals;
        let batch: RecordedEvent[];
        try {
          batch = await source.read(checkpoint, batchSize);
        } catch (error) {
          if (closed || !source.isTransient?.(error)) throw error;
          if (failures === 0) source.onOutage?.(error);
          failures++;
          await sleep(Math.min(50 * 2 ** Math.min(failures, 10), MAX_RETRY_DELAY_MS));
          continue;
        }
        failures = 0;
        const last = batch.at(-1);
        if (last === undefined) {
          // A signal that came while the read was in flight may announce what it missed: read again.
          if (signals === seen && !closed) await sleep(source.pollIntervalMs);
          continue;
        }
        if (closed) break;
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
