import { createColumn } from './column.ts';
import { createIndicatorRows } from './indicator-rows.ts';
import { packUuid } from './packed-uuid.ts';
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
 * version of each indicator. The details behind a version (submission id, source, events,
 * corrections) are looked up by its position where a reader needs them (see ValueDetails). A fold
 * that keeps no details keeps the submission ids here instead (16 bytes more per version), so that
 * it can still check that a correction is of the submission in force.
 */
export interface ValueVersions {
  /**
   * Records a version of the value of `submissionId` (a UUID); null, null: a retraction (no value in
   * force from here on).
   */
  record(
    unitId: string,
    indicator: string,
    period: Period,
    position: number,
    value: number | null,
    submissionId: string | null,
  ): void;
  /** The value in force at `position`; undefined when none was submitted yet or it was retracted. */
  at(unitId: string, indicator: string, period: Period, position: number): ValueInForce | undefined;
  /** Whether the value in force now (the newest version) is that of `submissionId`; needs `keepSubmissionIds`. */
  isInForce(unitId: string, indicator: string, period: Period, submissionId: string): boolean;
  /** The periods that have had a value of the indicator, for any unit. */
  periods(indicator: string): ReadonlySet<Period>;
  /** The positions of every version (submissions, corrections, retractions), ascending. */
  positions(unitId: string, indicator: string, period: Period): number[];
  /** The number of versions recorded. */
  readonly size: number;
}

const NONE = -1;

export function createValueVersions(options: { keepSubmissionIds?: boolean } = {}): ValueVersions {
  const keepSubmissionIds = options.keepSubmissionIds ?? false;
  const indicatorIds = new Map<string, number>();
  /** The newest version of each unit's indicator for each period (NONE: never submitted). */
  const heads = createIndicatorRows<string, Period>();
  const periodsByIndicator = new Map<string, Set<Period>>();
  const positions = createColumn(Float64Array);
  /** NaN: a retraction. */
  const amounts = createColumn(Float64Array);
  /** The previous version of the same value, or NONE. */
  const previous = createColumn(Int32Array);
  /** Four words per version: the submission id (see packUuid). */
  const submissions = createColumn(Int32Array);
  const packed = new Int32Array(4);

  const positionOf = (v: number) => positions.at(v) as number;
  const amountOf = (v: number) => amounts.at(v) as number;
  const previousOf = (v: number) => previous.at(v) as number;

  const headOf = (unitId: string, indicator: string, period: Period): number => {
    const id = indicatorIds.get(indicator);
    return id === undefined ? NONE : heads.get(unitId, period, id);
  };

  return {
    get size() {
      return positions.length;
    },
    record(unitId, indicator, period, position, value, submissionId) {
      if (keepSubmissionIds) packUuid(submissionId, packed);
      let id = indicatorIds.get(indicator);
      if (id === undefined) {
        id = indicatorIds.size;
        indicatorIds.set(indicator, id);
      }
      const head = heads.get(unitId, period, id);
      if (head !== NONE && positionOf(head) >= position)
        throw new RangeError(
          `value version at position ${position} recorded after position ${positionOf(head)}`,
        );
      if (head === NONE) {
        const periods = periodsByIndicator.get(indicator);
        if (periods) periods.add(period);
        else periodsByIndicator.set(indicator, new Set([period]));
      }
      positions.push(position);
      amounts.push(value ?? Number.NaN);
      previous.push(head);
      if (keepSubmissionIds) for (const word of packed) submissions.push(word);
      heads.set(unitId, period, id, positions.length - 1, indicatorIds.size);
    },
    at(unitId, indicator, period, position) {
      let v = headOf(unitId, indicator, period);
      while (v !== NONE && positionOf(v) > position) v = previousOf(v);
      if (v === NONE) return undefined;
      const value = amountOf(v);
      return Number.isNaN(value) ? undefined : { value, position: positionOf(v) };
    },
    isInForce(unitId, indicator, period, submissionId) {
      if (!keepSubmissionIds) throw new Error('these value versions do not keep submission ids');
      const v = headOf(unitId, indicator, period);
      if (v === NONE || Number.isNaN(amountOf(v))) return false;
      packUuid(submissionId, packed);
      return packed.every((word, k) => submissions.at(4 * v + k) === word);
    },
    periods: (indicator) => periodsByIndicator.get(indicator) ?? new Set(),
    positions(unitId, indicator, period) {
      const out: number[] = [];
      for (let v = headOf(unitId, indicator, period); v !== NONE; v = previousOf(v)) out.push(positionOf(v));
      return out.reverse();
    },
  };
}
