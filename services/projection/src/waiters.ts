/**
 * Callers waiting until the projection has applied a position: a read that must see a write the
 * caller just made. Each settles once: true when the head reaches its position, false when the
 * projection fails or stops or the wait times out, so no request hangs on a projection that will
 * never get there.
 */
export interface Waiters {
  /** Waits for `notify` to report a head at or past `position`; false after `timeoutMs`. */
  wait(position: number, timeoutMs: number): Promise<boolean>;
  /** Settles every waiter the head has reached, or every waiter (false) once the projection has failed. */
  notify(head: number, failed: boolean): void;
  /** Settles every waiter false: the projection stopped. */
  cancelAll(): void;
}

export function createWaiters(): Waiters {
  const waiting = new Set<{ position: number; resolve: (ok: boolean) => void }>();
  return {
    wait: (position, timeoutMs) =>
      new Promise((resolve) => {
        const waiter = {
          position,
          resolve: (ok: boolean) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => {
          waiting.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiting.add(waiter);
      }),
    notify: (head, failed) => {
      for (const w of waiting)
        if (failed || head >= w.position) {
          waiting.delete(w);
          w.resolve(!failed);
        }
    },
    cancelAll: () => {
      for (const w of waiting) w.resolve(false);
      waiting.clear();
    },
  };
}
