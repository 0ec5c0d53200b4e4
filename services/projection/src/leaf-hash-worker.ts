/**
 * The thread behind leaf-hashes.ts: reads the SQLite log after a position with its own connection,
 * page by page as the projection does, and posts each page's positions and RFC 9162 leaf hashes,
 * never more than `ahead` pages before the projection has taken them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { eventLeafHash } from '@ledger/transparency-log';

const { path, after, pageSize, ahead } = workerData as {
  path: string;
  after: number;
  pageSize: number;
  ahead: number;
};
const port = parentPort as NonNullable<typeof parentPort>;
let credits = ahead;
let wake: (() => void) | undefined;
port.on('message', () => {
  credits++;
  wake?.();
});

const store = getSQLiteEventStore({ path });
try {
  for await (const page of readPages(store, after, pageSize)) {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
    const positions = new Float64Array(page.length);
    const hashes = new Uint8Array(32 * page.length);
    page.forEach((event, i) => {
      positions[i] = event.position;
      hashes.set(eventLeafHash(event), 32 * i);
    });
    port.postMessage({ positions, hashes }, [positions.buffer, hashes.buffer]);
  }
  port.postMessage({ done: true });
} finally {
  await store.close();
  port.close();
}
