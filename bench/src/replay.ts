import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getInProcessBus } from '@ledger/bus';
import { createLedgerIndex, foldRecorded, type LedgerIndex } from '@ledger/domain';
import { FOLD_PAGE_SIZE, readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createProjection, sqliteLeafHashes } from '@ledger/projection';
import { createScorer } from '@ledger/scoring';
import { sampleRss } from './stats.ts';

export interface ReplayResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly peakRssMiB: number;
  readonly index: LedgerIndex;
}

/**
 * Workload 2, "rebuild": the projection service's own start on an empty read model — it reads the
 * store in pages of FOLD_PAGE_SIZE (1,000), validates each event (zod), folds it into the as-of index, hashes its
 * transparency-log leaf into the Merkle tree and commits each page's fact versions, log entries
 * and checkpoint to projection.sqlite. The same code path as POST /v1/ops/projections/…/rebuild.
 */
export async function rebuildProjection(storePath: string, projectionPath: string): Promise<ReplayResult> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(projectionPath + suffix, { force: true });
  const store = getSQLiteEventStore({ path: storePath });
  const logger = createLogger('bench', 'warn');
  const projection = createProjection({
    store,
    bus: getInProcessBus(),
    logger,
    path: projectionPath,
    leafHashesFrom: sqliteLeafHashes(storePath, logger),
  });
  const rss = sampleRss();
  const started = performance.now();
  await projection.start();
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = rss.stop();
  const index = projection.index;
  await projection.stop();
  await store.close();
  const events = index.positions.length;
  return { events, seconds, eventsPerSecond: events / seconds, peakRssMiB, index };
}

/** Workload 2, "fold only": pages from the store, zod validation and evolve, nothing persisted. */
export async function foldOnly(storePath: string, pageSize = FOLD_PAGE_SIZE): Promise<ReplayResult> {
  const store = getSQLiteEventStore({ path: storePath });
  const index = createLedgerIndex();
  const rss = sampleRss();
  const started = performance.now();
  for await (const page of readPages(store, 0, pageSize))
    for (const event of page) foldRecorded(index, event);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = rss.stop();
  await store.close();
  const events = index.positions.length;
  return { events, seconds, eventsPerSecond: events / seconds, peakRssMiB, index };
}

/**
 * Workload 2, "scoring": the scoring service's start — it folds the whole log into its own index
 * (values as numbers, no details) and the last score of every unit, before it scores what is new.
 * Here nothing is new: the data set's scores are all recorded.
 */
export async function scoringFold(storePath: string, pageSize = FOLD_PAGE_SIZE): Promise<ReplayResult> {
  const store = getSQLiteEventStore({ path: storePath });
  const scorer = createScorer();
  const rss = sampleRss();
  const started = performance.now();
  for await (const page of readPages(store, 0, pageSize)) for (const event of page) scorer.fold(event);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = rss.stop();
  await store.close();
  const events = scorer.index.positions.length;
  return { events, seconds, eventsPerSecond: events / seconds, peakRssMiB, index: scorer.index };
}
