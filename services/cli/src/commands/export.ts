import { visible } from '@ledger/domain';
import type { RankingReport } from '@ledger/reports';
import { stringify } from 'csv-stringify/sync';

/**
 * A text cell a spreadsheet will not run: one that begins with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is prefixed with `'` (OWASP, CSV injection), and control or invisible characters
 * are written as \u{…}. Numbers stay numbers.
 */
export const csvText = (text: string): string => {
  const shown = visible(text);
  return /^[=+\-@\t\r]/.test(shown) ? `'${shown}` : shown;
};

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
    ...groups.map((g) => csvText(`group:${g}`)),
    ...indicators.map((i) => `points:${i}`),
  ];
  const rows = report.rows.map((r) => [
    r.rank,
    csvText(r.unitId),
    csvText(r.unitName),
    r.total,
    r.indicatorsMet,
    r.indicatorsTotal,
    // Own properties only: a group may be named like an inherited one ("constructor").
    ...groups.map((g) => (Object.hasOwn(r.groups, g) ? r.groups[g] : '')),
    ...indicators.map((i) => (Object.hasOwn(r.points, i) ? r.points[i] : '')),
  ]);
  return stringify([header, ...rows]);
}
