import type { Indicator, Methodology, Target, Unit, Value } from './facts.ts';
import { lastAtOrBefore, versionAt } from './history.ts';
import { targetKey } from './keys.ts';
import { headPosition, type LedgerIndex, valueDetailsAt } from './ledger-index.ts';
import { type Period, periodRange, periodYear } from './period.ts';
import type { ValueInForce } from './value-versions.ts';

/** The ledger as it stood at one log position. */
export interface LedgerView {
  readonly position: number;
  unit(unitId: string): Unit | undefined;
  /**
   * The units known at this position, by unit id; with a parent, only those that have had that
   * parent at some time (callers check the parent in effect for their period).
   */
  units(parentId?: string): Unit[];
  indicator(code: string): Indicator | undefined;
  /**
   * The methodology version in force: the last one published (as of this position) that applies
   * to the period (appliesFrom at or before it); without a period, the last one published.
   */
  methodology(methodologyId: string, period?: Period): Methodology | undefined;
  /**
   * The target in force for a unit: a unit's own target before the general one, and the
   * period's own target before its year's (a 2023 target applies to 2023-Q4 unless Q4 has one).
   */
  target(indicator: string, period: Period, unitId: string): Target | undefined;
  /** The value in force: the active submission with its latest correction; none if retracted. */
  value(unitId: string, indicator: string, period: Period): ValueInForce | undefined;
  /** The submission and corrections behind a value in force, for auditors. */
  valueDetails(value: ValueInForce): Value;
}

/** The log position the ledger had reached at an instant: the last event recorded at or before it. */
export function positionAsOf(index: LedgerIndex, instantMs: number): number {
  const i = lastAtOrBefore(index.recordedAtMs, instantMs);
  return i < 0 ? 0 : (index.positions.at(i) as number);
}

export function viewAt(index: LedgerIndex, position: number = headPosition(index)): LedgerView {
  const targetAt = (indicator: string, period: Period, unitId: string | null) => {
    if (unitId === null) return versionAt(index.generalTargets.get(indicator)?.get(period), position);
    // Most indicators have only general targets: skip the unit's own lookup when none exists.
    return index.unitTargetIndicators.has(indicator)
      ? versionAt(index.targets.get(targetKey(indicator, period, unitId)), position)
      : undefined;
  };
  return {
    position,
    unit: (unitId) => versionAt(index.units.get(unitId), position),
    units: (parentId) => {
      const out: Unit[] = [];
      const ids = parentId === undefined ? index.units.keys() : (index.unitsByParent.get(parentId) ?? []);
      for (const id of ids) {
        const unit = versionAt(index.units.get(id), position);
        if (unit) out.push(unit);
      }
      return out.sort((a, b) => (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0));
    },
    indicator: (code) => versionAt(index.indicators.get(code), position),
    methodology: (id, period) => {
      const history = index.methodologies.get(id);
      if (period === undefined) return versionAt(history, position);
      const start = periodRange(period).start;
      let found: Methodology | undefined;
      for (const v of history ?? []) {
        if (v.position > position) break;
        if (v.value.appliesFrom === null || periodRange(v.value.appliesFrom).start <= start) found = v.value;
      }
      return found;
    },
    target: (indicator, period, unitId) => {
      const year = periodYear(period);
      return (
        targetAt(indicator, period, unitId) ??
        targetAt(indicator, period, null) ??
        (year !== period ? (targetAt(indicator, year, unitId) ?? targetAt(indicator, year, null)) : undefined)
      );
    },
    value: (unitId, indicator, period) => index.values.at(unitId, indicator, period, position),
    valueDetails: (value) => valueDetailsAt(index, value) as Value,
  };
}
