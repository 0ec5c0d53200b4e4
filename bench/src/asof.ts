import { performance } from 'node:perf_hooks';
import { type LedgerIndex, positionAsOf, rank, viewAt } from '@ledger/domain';
import { createRandom } from './prng.ts';
import { METHODOLOGY_ID, PROVINCES, provinceId } from './scale-model.ts';
import { quantile } from './stats.ts';

export interface AsOfResult {
  readonly queries: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanRows: number;
}

const monthBefore = (ms: number, back: number) => {
  const d = new Date(ms);
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
  return `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
};

/**
 * Workload 3, in process: for a random instant between the first and the last recordedAt, the
 * ranking of one province's ~98 communes (× 40 indicators) for a recent monthly period (1–3
 * months before the instant), from the folded index: two binary searches per fact, no replay.
 */
export function asOfRankings(index: LedgerIndex, queries: number, seed: number): AsOfResult {
  const random = createRandom(seed);
  const first = index.recordedAtMs.at(0) as number;
  const last = index.recordedAtMs.at(-1) as number;
  const times: number[] = [];
  let rows = 0;
  for (let q = 0; q < queries + 50; q++) {
    const instant = first + random() * (last - first);
    const period = monthBefore(instant, 1 + Math.floor(random() * 3));
    const parent = provinceId(Math.floor(random() * PROVINCES));
    const t = performance.now();
    const view = viewAt(index, positionAsOf(index, instant));
    const methodology = view.methodology(METHODOLOGY_ID, period);
    const ranking = methodology ? rank(view, methodology, period, parent) : undefined;
    const ms = performance.now() - t;
    if (q >= 50) {
      // the first 50 warm the JIT up
      times.push(ms);
      rows += ranking?.rows.length ?? 0;
    }
  }
  return { queries, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99), meanRows: rows / queries };
}
