import type { Period } from './period.ts';

/** The value in force for a unit, indicator and period, and the log position of the version that set it. */
export interface ValueInForce {
  readonly value: number;
  readonly position: number;
}

/**
 * Every version of every value, as numbers only: ~20 bytes per version instead of an object graph
 * (at 10 M events the objects took ~0.9 KB per event). Per version: its position, its value (NaN
 * after a retraction) and the previous version of the same value; per unit and period, the newest
 * version of each indicator. The submission and corrections behind a version are looked up by its
 * position where a reader needs them (see ValueDetails).
 */
export interface ValueVersions {
  /** Records a version; null: a retraction (no value in force from here on). */
  record(unitId: string, indicator: string, period: Period, position: number, value: number | null): void;
  /** The value in force at `position`; undefined when none was submitted yet or it was retracted. */
  at(unitId: string, indicator: string, period: Period, position: number): ValueInForce | undefined;
  /** The positions of every version (submissions, corrections, retractions), ascending. */
  positions(unitId: string, indicator: string, period: Period): number[];
  /** The number of versions recorded. */
  readonly size: number;
}

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const FIRST_CHUNK = 256;
const NONE = -1;

function grow<A extends Float64Array | Int32Array>(
  Type: new (length: number) => A,
  chunk: A | undefined,
  length: number,
): A {
  const grown = new Type(length);
  if (chunk) grown.set(chunk);
  return grown;
}

export function createValueVersions(): ValueVersions {
  const indicatorIds = new Map<string, number>();
  /** Unit → period → newest version per indicator id (NONE: never submitted). */
  const heads = new Map<string, Map<Period, Int32Array>>();
  const positionChunks: Float64Array[] = [];
  const valueChunks: Float64Array[] = [];
  const previousChunks: Int32Array[] = [];
  let size = 0;

  const positionOf = (v: number) => (positionChunks[v >>> CHUNK_BITS] as Float64Array)[v & MASK] as number;
  const amountOf = (v: number) => (valueChunks[v >>> CHUNK_BITS] as Float64Array)[v & MASK] as number;
  const previousOf = (v: number) => (previousChunks[v >>> CHUNK_BITS] as Int32Array)[v & MASK] as number;

  const headOf = (unitId: string, indicator: string, period: Period): number => {
    const id = indicatorIds.get(indicator);
    if (id === undefined) return NONE;
    return heads.get(unitId)?.get(period)?.[id] ?? NONE;
  };

  const headsFor = (unitId: string, period: Period, id: number): Int32Array => {
    let byPeriod = heads.get(unitId);
    if (!byPeriod) {
      byPeriod = new Map();
      heads.set(unitId, byPeriod);
    }
    let row = byPeriod.get(period);
    if (!row || id >= row.length) {
      const grown = new Int32Array(Math.max(indicatorIds.size, id + 1)).fill(NONE);
      if (row) grown.set(row);
      row = grown;
      byPeriod.set(period, row);
    }
    return row;
  };

  return {
    get size() {
      return size;
    },
    record(unitId, indicator, period, position, value) {
      let id = indicatorIds.get(indicator);
      if (id === undefined) {
        id = indicatorIds.size;
        indicatorIds.set(indicator, id);
      }
      const row = headsFor(unitId, period, id);
      const head = row[id] as number;
      if (head !== NONE && positionOf(head) >= position)
        throw new RangeError(
          `value version at position ${position} recorded after position ${positionOf(head)}`,
        );
      const chunk = size >>> CHUNK_BITS;
      const at = size & MASK;
      if (at >= (positionChunks[chunk]?.length ?? 0)) {
        // The first chunk starts small and doubles, so a small ledger stays small.
        const length = chunk === 0 ? Math.min(Math.max(2 * at, FIRST_CHUNK), CHUNK) : CHUNK;
        positionChunks[chunk] = grow(Float64Array, positionChunks[chunk], length);
        valueChunks[chunk] = grow(Float64Array, valueChunks[chunk], length);
        previousChunks[chunk] = grow(Int32Array, previousChunks[chunk], length);
      }
      (positionChunks[chunk] as Float64Array)[at] = position;
      (valueChunks[chunk] as Float64Array)[at] = value ?? Number.NaN;
      (previousChunks[chunk] as Int32Array)[at] = head;
      row[id] = size;
      size++;
    },
    at(unitId, indicator, period, position) {
      let v = headOf(unitId, indicator, period);
      while (v !== NONE && positionOf(v) > position) v = previousOf(v);
      if (v === NONE) return undefined;
      const value = amountOf(v);
      return Number.isNaN(value) ? undefined : { value, position: positionOf(v) };
    },
    positions(unitId, indicator, period) {
      const out: number[] = [];
      for (let v = headOf(unitId, indicator, period); v !== NONE; v = previousOf(v)) out.push(positionOf(v));
      return out.reverse();
    },
  };
}
