import type { Methodology } from './facts.ts';
import type { History } from './history.ts';
import { targetKey } from './keys.ts';
import type { LedgerIndex } from './ledger-index.ts';
import { type Period, periodYear } from './period.ts';
import type { Ranking } from './ranking.ts';

/** How one unit's place changed between two rankings, and the log positions that caused it. */
export interface RankChange {
  readonly unitId: string;
  readonly unitName: string;
  /** null where the unit was not ranked at that end. */
  readonly rankFrom: number | null;
  readonly rankTo: number | null;
  readonly totalFrom: number | null;
  readonly totalTo: number | null;
  /** Positions in (from, to] of the events that changed this unit's inputs. */
  readonly causes: readonly number[];
}

const between = (positions: readonly number[], from: number, to: number): number[] =>
  positions.filter((p) => p > from && p <= to);
const positionsIn = (history: History<unknown> | undefined, from: number, to: number): number[] =>
  between(
    (history ?? []).map((v) => v.position),
    from,
    to,
  );

/**
 * The positions in (from, to] of the events that changed what a unit's score is made of: its
 * values (submissions, corrections, retractions) and the targets that apply to it for the
 * methodology's indicators, the methodology itself, and the unit (a rename, an abolition).
 */
export function causesFor(
  index: LedgerIndex,
  methodologies: readonly Methodology[],
  methodologyId: string,
  unitId: string,
  period: Period,
  from: number,
  to: number,
): number[] {
  const indicators = new Set(methodologies.flatMap((m) => m.indicators.map((i) => i.indicator)));
  const periods = [...new Set([period, periodYear(period)])];
  const found: number[] = [
    ...positionsIn(index.methodologies.get(methodologyId), from, to),
    ...positionsIn(index.units.get(unitId), from, to),
  ];
  for (const indicator of indicators) {
    found.push(...between(index.values.positions(unitId, indicator, period), from, to));
    found.push(...positionsIn(index.indicators.get(indicator), from, to));
    for (const p of periods)
      for (const u of [unitId, null])
        found.push(...positionsIn(index.targets.get(targetKey(indicator, p, u)), from, to));
  }
  return [...new Set(found)].sort((a, b) => a - b);
}

/** The changes between two rankings of one methodology and period: every unit whose rank or total moved. */
export function diffRankings(index: LedgerIndex, before: Ranking, after: Ranking): RankChange[] {
  const rows = new Map<string, { from?: Ranking['rows'][number]; to?: Ranking['rows'][number] }>();
  for (const row of before.rows) rows.set(row.unitId, { from: row });
  for (const row of after.rows) rows.set(row.unitId, { ...rows.get(row.unitId), to: row });
  const methodologies = [before.methodology, after.methodology];
  const changes: RankChange[] = [];
  for (const [unitId, { from, to }] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (from && to && from.rank === to.rank && from.total === to.total) continue;
    changes.push({
      unitId,
      unitName: (to ?? from)?.unitName ?? unitId,
      rankFrom: from?.rank ?? null,
      rankTo: to?.rank ?? null,
      totalFrom: from?.total ?? null,
      totalTo: to?.total ?? null,
      causes: causesFor(
        index,
        methodologies,
        after.methodology.methodologyId,
        unitId,
        after.period,
        before.position,
        after.position,
      ),
    });
  }
  return changes.sort(
    (a, b) =>
      (a.rankTo ?? Number.MAX_SAFE_INTEGER) - (b.rankTo ?? Number.MAX_SAFE_INTEGER) ||
      (a.unitId < b.unitId ? -1 : 1),
  );
}
