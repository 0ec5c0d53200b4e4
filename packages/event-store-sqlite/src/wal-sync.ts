import { closeSync, fsync, openSync } from 'node:fs';

/** Flushes a file to disk: `fsync`, off the JavaScript thread. */
export type SyncFile = (fd: number) => Promise<void>;

const fsyncOnThreadPool: SyncFile = (fd) =>
  new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

export interface WalSync {
  /**
   * Resolves once a sync of the WAL that started after this call has finished, so every commit
   * made before the call, by any connection, is on disk. Calls made while a sync runs share the next.
   */
  sync(): Promise<void>;
  /** Waits for the syncs under way, then closes the file. */
  close(): Promise<void>;
}

/**
 * Syncs a database's WAL on libuv's thread pool. The WAL is append-only and recovery stops at the
 * first frame that is not whole, so one sync puts on disk every commit written before it, including
 * those of connections that do not sync their own (`synchronous=NORMAL`).
 *
 * After a failed sync the data may never reach the disk even if a later sync succeeds (the kernel
 * may have dropped the dirty pages), so every later call fails too.
 */
export function createWalSync(walPath: string, syncFile: SyncFile = fsyncOnThreadPool): WalSync {
  let fd: number | undefined;
  let failure: Error | undefined;
  /** Callers waiting for the next sync, and those the running one answers. */
  let queued: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let running: Promise<void> | undefined;

  const run = (): Promise<void> => {
    const covered = queued;
    queued = [];
    let sync: Promise<void>;
    try {
      // The WAL exists once something has been committed to it, and stays while a connection is open.
      fd ??= openSync(walPath, 'r');
      sync = syncFile(fd);
    } catch (error) {
      sync = Promise.reject(error);
    }
    return sync.then(
      () => {
        for (const waiter of covered) waiter.resolve();
      },
      (error: Error) => {
        failure = Object.assign(new Error(`could not sync ${walPath}: ${error.message}`), { cause: error });
        for (const waiter of [...covered, ...queued.splice(0)]) waiter.reject(failure);
      },
    );
  };

  const drain = async () => {
    while (queued.length > 0 && !failure) await run();
    running = undefined;
  };

  return {
    sync: () =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        queued.push({ resolve, reject });
        running ??= drain();
      }),
    close: async () => {
      await running;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
