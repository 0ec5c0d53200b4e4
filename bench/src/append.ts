import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { generateBatches } from './generate.ts';

export interface AppendResult {
  readonly events: number;
  /** Wall time of generation plus appends. */
  readonly seconds: number;
  /** Time inside store.append only (serialization, checks, insert, fsync on commit). */
  readonly appendSeconds: number;
  readonly eventsPerSecond: number;
  readonly appendEventsPerSecond: number;
}

/**
 * Events per append in workload 1a: of 1,000, 2,000 and 5,000 (1 M events, 3 interleaved runs each,
 * 2026-11-26) 2,000 and 1,000 appended fastest; past that an append's rows and strings outgrow the
 * CPU's caches (docs/benchmarks.md has the table).
 */
export const APPEND_BATCH = 2_000;

/** Workload 1a: writes a fresh data set of `events` events through the store port, in batches. */
export async function appendDataset(
  path: string,
  events: number,
  seed: number,
  batchSize: number,
): Promise<AppendResult> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const store = getSQLiteEventStore({ path });
  let appendMs = 0;
  let written = 0;
  const started = performance.now();
  for (const batch of generateBatches({ events, seed, batchSize })) {
    const t = performance.now();
    await store.append(batch.requests, { recordedAt: batch.recordedAt });
    appendMs += performance.now() - t;
    written += batch.count;
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return {
    events: written,
    seconds,
    appendSeconds: appendMs / 1000,
    eventsPerSecond: written / seconds,
    appendEventsPerSecond: written / (appendMs / 1000),
  };
}
