/**
 * The thread behind leaf-hashes.ts: reads the SQLite log after a position with its own connection,
 * page by page as the projection does, and posts each page's positions and RFC 9162 leaf hashes,
 * never more than `ahead` pages beyond what the projection has taken or is waiting for. Following,
 * it then waits to be told that the log has grown, and reads on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { eventLeafHash } from '@ledger/transparency-log';
import type { ToLeafHashThread } from './leaf-hashes.ts';

const { path, after, pageSize, ahead, follow } = workerData as {
  path: string;
  after: number;
  pageSize: number;
  ahead: number;
  follow: boolean;
};
const port = parentPort as NonNullable<typeof parentPort>;
let credits = ahead;
/** The furthest position the log is known to have reached. */
let grown = 0;
let wake: (() => void) | undefined;
const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
};
port.on('message', (message: ToLeafHashThread) => {
  credits += message.acks;
  grown = Math.max(grown, message.grown ?? 0);
  wake?.();
});

const store = getSQLiteEventStore({ path });
try {
  for (let from = after; ; ) {
    const page = await store.readAll({ after: from, limit: pageSize });
    if (page.length > 0) {
      // The credits bound how far it hashes ahead of what the projection asked for; a page the
      // projection is waiting for (up to `grown`) goes at once, or a batch longer than the credits'
      // pages would wait for acks that come only after it.
      await until(() => credits > 0 || from < grown);
      credits--;
      post(page);
      from = (page.at(-1) as RecordedEvent).position;
    }
    if (page.length === pageSize) continue;
    if (!follow) break;
    await until(() => grown > from);
  }
  port.postMessage({ done: true });
} finally {
  await store.close();
  port.close();
}

function post(page: readonly RecordedEvent[]): void {
  const positions = new Float64Array(page.length);
  const hashes = new Uint8Array(32 * page.length);
  page.forEach((event, i) => {
    positions[i] = event.position;
    hashes.set(eventLeafHash(event), 32 * i);
  });
  port.postMessage({ positions, hashes }, [positions.buffer, hashes.buffer]);
}
