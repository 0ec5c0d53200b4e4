import { describe, expect, it } from 'vitest';
import { isPeriod, PeriodSchema, periodRange, periodYear } from '../src/period.ts';

describe('periods', () => {
  it.each([
    ['2023', '2023-01-01', '2023-12-31'],
    ['2023-Q1', '2023-01-01', '2023-03-31'],
    ['2023-Q2', '2023-04-01', '2023-06-30'],
    ['2023-Q3', '2023-07-01', '2023-09-30'],
    ['2023-Q4', '2023-10-01', '2023-12-31'],
    ['2023-12', '2023-12-01', '2023-12-31'],
    ['2023-02', '2023-02-01', '2023-02-28'],
    ['2024-02', '2024-02-01', '2024-02-29'],
    ['2000-02', '2000-02-01', '2000-02-29'],
    ['2100-02', '2100-02-01', '2100-02-28'],
    ['2024-04', '2024-04-01', '2024-04-30'],
    ['2024-Q1', '2024-01-01', '2024-03-31'],
  ])('Given %s, the period covers %s to %s', (period, start, end) => {
    expect(PeriodSchema.safeParse(period).success).toBe(true);
    expect(isPeriod(period)).toBe(true);
    expect(periodRange(period)).toEqual({ start, end });
  });

  it.each([
    '2023-13',
    '2023-00',
    '2023-Q5',
    '2023-Q0',
    '23',
    '2023-1',
    '2023-W01',
    '',
    '2023-q4',
    '2023-12-01',
    ' 2023',
  ])('rejects %j', (text) => {
    const result = PeriodSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(
      /year \(2023\), a quarter \(2023-Q4\) or a month \(2023-12\)/,
    );
    expect(isPeriod(text)).toBe(false);
    expect(() => periodRange(text)).toThrow(RangeError);
  });

  it.each([
    ['2023', '2023'],
    ['2023-Q4', '2023'],
    ['2024-02', '2024'],
  ])('the year of %s is %s', (period, year) => {
    expect(periodYear(period)).toBe(year);
  });
});
