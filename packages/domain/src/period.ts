import { z } from 'zod';

/** A reporting period (valid time): a year `2023`, a quarter `2023-Q4` or a month `2023-12`. */
export type Period = string;

const PERIOD = /^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$/;

export const PeriodSchema = z
  .string()
  .regex(PERIOD, 'must be a year (2023), a quarter (2023-Q4) or a month (2023-12)');

export interface PeriodRange {
  /** First day, YYYY-MM-DD. */
  readonly start: string;
  /** Last day, YYYY-MM-DD. */
  readonly end: string;
}

export const isPeriod = (value: string): boolean => PERIOD.test(value);

const pad = (n: number) => String(n).padStart(2, '0');
const lastDayOfMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The calendar days a period covers. Throws on a string that is not a period. */
export function periodRange(period: Period): PeriodRange {
  const m = PERIOD.exec(period);
  if (!m) throw new RangeError(`not a period: ${period}`);
  const year = Number(m[1]);
  const [firstMonth, lastMonth] = m[2]
    ? [Number(m[2]) * 3 - 2, Number(m[2]) * 3]
    : m[3]
      ? [Number(m[3]), Number(m[3])]
      : [1, 12];
  return {
    start: `${m[1]}-${pad(firstMonth)}-01`,
    end: `${m[1]}-${pad(lastMonth)}-${pad(lastDayOfMonth(year, lastMonth))}`,
  };
}

/** The year a period belongs to, as a period: `2023-Q4` → `2023`. */
export const periodYear = (period: Period): Period => period.slice(0, 4);
