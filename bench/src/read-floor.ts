/**
 * The replay floor: what reading the log costs before a rebuild does anything with it, one pass
 * over the whole log each, on one thread. A rebuild does all of these and more, so workload 2's
 * goal (500,000 events/s) is out of reach unless the slowest pass, times the cores that could
 * share it, is above it.
 *   rows          node:sqlite rows in log order, pages of FOLD_PAGE_SIZE, nothing parsed
 *   read          the store port's readAll: the rows and JSON.parse of data and metadata
 *   read+validate and each ledger event checked against its zod schema (checkRecorded)
 *   read+hash     and each event's RFC 9162 leaf hash (RFC 8785 canonical JSON, SHA-256)
 */
import { DatabaseSync } from 'node:sqlite';
import { checkRecorded, type RecordedEvent } from '@ledger/domain';
import { FOLD_PAGE_SIZE, readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { eventLeafHash } from '@ledger/transparency-log';
import { round } from './cpu.ts';

export interface ReadFloor {
  readonly events: number;
  /** Events per second of each pass. */
  readonly rowsPerSecond: number;
  readonly readPerSecond: number;
  readonly validatePerSecond: number;
  readonly hashPerSecond: number;
}

function rowsPass(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  const page = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  let after = 0;
  let count = 0;
  let bytes = 0;
  for (;;) {
    const rows = page.all(after, FOLD_PAGE_SIZE) as { position: number; data: string; metadata: string }[];
    if (rows.length === 0) break;
    for (const row of rows) bytes += row.data.length + row.metadata.length;
    count += rows.length;
    after = (rows.at(-1) as { position: number }).position;
  }
  db.close();
  if (bytes === 0 && count > 0) throw new Error('rows without data');
  return count;
}

async function storePass(path: string, each: (e: RecordedEvent) => unknown): Promise<number> {
  const store = getSQLiteEventStore({ path });
  let count = 0;
  try {
    for await (const events of readPages(store, 0, FOLD_PAGE_SIZE)) {
      for (const e of events) each(e);
      count += events.length;
    }
  } finally {
    await store.close();
  }
  return count;
}

const timed = async (pass: () => number | Promise<number>) => {
  const started = performance.now();
  const count = await pass();
  return { count, perSecond: round(count / ((performance.now() - started) / 1000)) };
};

export async function readFloor(path: string, expected: number): Promise<ReadFloor> {
  rowsPass(path); // untimed: brings the file into the page cache, as the timed passes find it
  const rows = await timed(() => rowsPass(path));
  const read = await timed(() => storePass(path, () => undefined));
  const validate = await timed(() => storePass(path, checkRecorded));
  const hash = await timed(() => storePass(path, eventLeafHash));
  for (const pass of [rows, read, validate, hash])
    if (pass.count !== rows.count) throw new Error(`a pass read ${pass.count} events, another ${rows.count}`);
  if (expected > 0 && rows.count < expected)
    throw new Error(`${path} holds ${rows.count} events, not ${expected}`);
  return {
    events: rows.count,
    rowsPerSecond: rows.perSecond,
    readPerSecond: read.perSecond,
    validatePerSecond: validate.perSecond,
    hashPerSecond: hash.perSecond,
  };
}
