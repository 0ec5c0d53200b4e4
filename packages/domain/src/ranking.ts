import type { Methodology } from './facts.ts';
import { unitExistedDuring, unitNameFor } from './facts.ts';
import { type Period, periodRange } from './period.ts';
import { scoreUnit, type UnitScore } from './scoring.ts';
import type { LedgerView } from './view.ts';

export interface RankingRow extends UnitScore {
  readonly rank: number;
  /** The unit's name in effect at the end of the period. */
  readonly unitName: string;
  readonly parentId: string | null;
}

export interface Ranking {
  readonly methodology: Methodology;
  readonly period: Period;
  readonly position: number;
  readonly rows: readonly RankingRow[];
}

/**
 * Ranks the units of the methodology's level that existed at some time during the period
 * (optionally only those under one parent), as the view knew them.
 *
 * Rule: totals descending, compared exactly (unrounded); equal totals share a rank and the next
 * rank skips (1, 2, 2, 4); rows with equal totals are ordered by unit id (code-point order, so
 * the order never depends on a locale). Rounding is for display only.
 */
export function rank(view: LedgerView, methodology: Methodology, period: Period, parentId?: string): Ranking {
  const { start, end } = periodRange(period);
  const candidates = view
    .units(parentId)
    .filter((u) => u.level === methodology.level && unitExistedDuring(u, start, end))
    .map((unit) => ({ unit, named: unitNameFor(unit, end) }))
    .filter(({ named }) => parentId === undefined || named.parentId === parentId);

  const scored = candidates.map(({ unit, named }) => ({
    ...scoreUnit(view, methodology, unit.unitId, period),
    unitName: named.name,
    parentId: named.parentId,
  }));
  scored.sort((a, b) => b.total - a.total || compareIds(a.unitId, b.unitId));

  const rows: RankingRow[] = [];
  scored.forEach((row, i) => {
    const prev = rows[i - 1];
    rows.push({ ...row, rank: prev && prev.total === row.total ? prev.rank : i + 1 });
  });
  return { methodology, period, position: view.position, rows };
}

export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
