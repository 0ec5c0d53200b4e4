import { Worker } from 'node:worker_threads';
import { FOLD_PAGE_SIZE } from '@ledger/event-store';
import type { Logger } from '@ledger/http';

/**
 * Leaf hashes of the log computed ahead, on another thread, while the projection folds: a catch-up
 * or a rebuild spends ~40 % of its time canonicalising and hashing events, and one core can do that
 * while the other folds. The projection takes the hash of each event it applies, in log order; a
 * position the thread has not hashed (it stopped, or the log grew after it read) is hashed on the
 * projection's own thread.
 */
export interface LeafHashesAhead {
  /**
   * Waits until the thread has hashed every event up to `position`, or has stopped. Following the
   * log, this also tells the thread that the log has reached `position`.
   */
  reach(position: number): Promise<void>;
  /** The hash of the event at `position`, if the thread computed it; positions are asked in ascending order. */
  take(position: number): Uint8Array | undefined;
  stop(): Promise<void>;
}

/**
 * Starts hashing the log after a position: up to the head (a catch-up), or, following, on as the
 * log grows (live batches).
 */
export type LeafHashesFrom = (after: number, options?: { follow?: boolean }) => LeafHashesAhead;

/**
 * What the projection's side tells the thread: how many more pages it has taken, and how far the
 * log has grown. Following, the acks wait for the next news of growth: one message per live batch.
 */
export interface ToLeafHashThread {
  readonly acks: number;
  readonly grown?: number;
}

interface Page {
  readonly positions: Float64Array;
  readonly hashes: Uint8Array;
}

/** Leaf hashes read from a SQLite event store by a worker thread with its own connection. */
export function sqliteLeafHashes(path: string, logger: Logger, pageSize = FOLD_PAGE_SIZE): LeafHashesFrom {
  return (after, options) => {
    const follow = options?.follow ?? false;
    const worker = new Worker(new URL('./leaf-hash-worker.ts', import.meta.url), {
      workerData: { path, after, pageSize, ahead: 4, follow },
      // It holds a few pages at a time; a small heap keeps the process within its memory budget.
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
    });
    const pages: Page[] = [];
    let cursor = 0;
    let reached = after;
    let stopped = false;
    let acks = 0;
    let changed: (() => void) | undefined;
    const update = () => {
      changed?.();
      changed = undefined;
    };
    worker.on('message', (message: Page | { done: true }) => {
      if ('done' in message) stopped = true;
      else {
        pages.push(message);
        reached = message.positions.at(-1) ?? reached;
      }
      update();
    });
    worker.on('error', (err) => {
      logger.warn({ err }, 'the leaf-hash thread failed; hashing on the main thread');
      stopped = true;
      update();
    });
    worker.on('exit', () => {
      stopped = true;
      update();
    });

    return {
      reach: async (position) => {
        if (!stopped && reached < position) {
          worker.postMessage({ acks, grown: position } satisfies ToLeafHashThread);
          acks = 0;
        }
        while (!stopped && reached < position) await new Promise<void>((resolve) => (changed = resolve));
      },
      take: (position) => {
        for (let page = pages[0]; page; page = pages[0]) {
          const { positions, hashes } = page;
          while (cursor < positions.length && (positions[cursor] as number) < position) cursor++;
          if (cursor < positions.length) {
            if (positions[cursor] !== position) return undefined;
            return hashes.slice(32 * cursor, 32 * cursor + 32);
          }
          pages.shift();
          cursor = 0;
          if (follow) acks++;
          else if (!stopped) worker.postMessage({ acks: 1 } satisfies ToLeafHashThread);
        }
        return undefined;
      },
      stop: async () => {
        stopped = true;
        await worker.terminate();
      },
    };
  };
}
