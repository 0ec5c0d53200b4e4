import { describe, expect, it } from 'vitest';
import { createIndicatorRows } from '../src/indicator-rows.ts';

describe('indicator rows', () => {
  it('keeps an entry per unit, period and indicator, and -1 where none was set', () => {
    const rows = createIndicatorRows<string, string>();
    rows.set('HN', '2024', 0, 10, 3);
    rows.set('HN', '2024', 2, 12, 3);
    rows.set('HN', '2025', 1, 21, 3);
    rows.set('HP', '2024', 0, 30, 3);
    expect([rows.get('HN', '2024', 0), rows.get('HN', '2024', 1), rows.get('HN', '2024', 2)]).toEqual([
      10, -1, 12,
    ]);
    expect([rows.get('HN', '2025', 1), rows.get('HP', '2024', 0), rows.get('HP', '2025', 0)]).toEqual([
      21, 30, -1,
    ]);
    rows.set('HN', '2024', 0, 11, 3);
    expect(rows.get('HN', '2024', 0)).toBe(11);
  });

  it('widens a row for an indicator defined after it was made, keeping its entries', () => {
    const rows = createIndicatorRows<number, number>();
    rows.set(1, 1, 0, 100, 2);
    rows.set(1, 1, 1, 101, 2);
    rows.set(1, 2, 1, 201, 2);
    expect(rows.get(1, 1, 5)).toBe(-1);
    rows.set(1, 1, 5, 105, 2);
    expect([0, 1, 2, 3, 4, 5].map((i) => rows.get(1, 1, i))).toEqual([100, 101, -1, -1, -1, 105]);
    expect([rows.get(1, 2, 0), rows.get(1, 2, 1), rows.get(1, 2, 5)]).toEqual([-1, 201, -1]);
  });
});
