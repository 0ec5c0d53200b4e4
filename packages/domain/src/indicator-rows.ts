import { createColumn } from './column.ts';

const NONE = -1;

/**
 * A 32-bit integer per unit, period and indicator id, -1 where none was set: a row of indicators
 * per unit and period, every row in one column. That is 4 bytes an entry and a Map entry a row,
 * where a typed array per row cost some 300 bytes more each (~230,000 rows at 10 M events).
 */
export interface IndicatorRows<U, P> {
  get(unit: U, period: P, indicator: number): number;
  /** Sets an entry, making its row (at least `width` wide), or a wider copy of it, when needed. */
  set(unit: U, period: P, indicator: number, entry: number, width: number): void;
}

export function createIndicatorRows<U, P>(): IndicatorRows<U, P> {
  /** Each row: its width, then its entries. */
  const column = createColumn(Int32Array);
  const rows = new Map<U, Map<P, number>>();
  const widthAt = (row: number | undefined) => (row === undefined ? 0 : (column.at(row) as number));

  return {
    get(unit, period, indicator) {
      const row = rows.get(unit)?.get(period);
      if (row === undefined || indicator >= widthAt(row)) return NONE;
      return column.at(row + 1 + indicator) as number;
    },
    set(unit, period, indicator, entry, width) {
      let byPeriod = rows.get(unit);
      if (!byPeriod) {
        byPeriod = new Map();
        rows.set(unit, byPeriod);
      }
      let row = byPeriod.get(period);
      const oldWidth = widthAt(row);
      if (row === undefined || indicator >= oldWidth) {
        // The old row's slots stay unused: indicators are seldom defined after a period has values.
        const old = row ?? 0;
        const grown = Math.max(width, indicator + 1);
        row = column.length;
        column.push(grown);
        for (let k = 0; k < grown; k++) column.push(k < oldWidth ? (column.at(old + 1 + k) as number) : NONE);
        byPeriod.set(period, row);
      }
      column.set(row + 1 + indicator, entry);
    },
  };
}
