import type { RankingReport } from '@ledger/reports';
import { stringify } from 'csv-stringify/sync';

/** A ranking as CSV: one row per unit, with group subtotals and indicator points as columns. */
export function rankingCsv(report: RankingReport): string {
  const groups = [...new Set(report.rows.flatMap((r) => Object.keys(r.groups)))];
  const indicators = [...new Set(report.rows.flatMap((r) => Object.keys(r.points)))];
  const header = [
    'rank',
    'unitId',
    'unitName',
    'total',
    'indicatorsMet',
    'indicatorsTotal',
    ...groups.map((g) => `group:${g}`),
    ...indicators.map((i) => `points:${i}`),
  ];
  const rows = report.rows.map((r) => [
    r.rank,
    r.unitId,
    r.unitName,
    r.total,
    r.indicatorsMet,
    r.indicatorsTotal,
    ...groups.map((g) => r.groups[g] ?? ''),
    ...indicators.map((i) => r.points[i] ?? ''),
  ]);
  return stringify([header, ...rows]);
}
