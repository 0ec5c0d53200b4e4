import { valueStreamParts } from '@ledger/domain';
import { COMMUNES, communeId, INDICATORS, indicatorCode } from './scale-model.ts';

/** Cells per month: every commune's every indicator. */
export const CELLS = COMMUNES * INDICATORS;

/** The first month submissions fill: later than any period the scale data set uses. */
const SUBMISSION_YEAR = 2030;

/**
 * The n-th submission of the load generators (workloads 1b, 1c and 4): a (commune, indicator,
 * month) cell never submitted before, months from 2030-01 on, so a fresh ledger refuses none.
 */
export function submissionAt(n: number) {
  const cell = n % CELLS;
  const month = Math.floor(n / CELLS);
  return {
    unitId: communeId(Math.floor(cell / INDICATORS)),
    indicator: indicatorCode(cell % INDICATORS),
    period: `${SUBMISSION_YEAR + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`,
    value: 50 + (n % 500) / 10,
  };
}

/** The n of a submission's value stream (`value:2030-01:c0001:ind01`), or undefined for another stream. */
export function submissionIndexOf(streamId: string): number | undefined {
  const value = valueStreamParts(streamId);
  const m =
    value &&
    /^c(\d{4}) ind(\d{2}) (\d{4})-(\d{2})$/.exec(`${value.unitId} ${value.indicator} ${value.period}`);
  if (!m) return undefined;
  const [commune, indicator, year, month] = m.slice(1).map(Number) as [number, number, number, number];
  const months = (year - SUBMISSION_YEAR) * 12 + (month - 1);
  return months * CELLS + (commune - 1) * INDICATORS + (indicator - 1);
}
