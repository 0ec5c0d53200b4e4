import type { Indicator, Methodology, Target } from './facts.ts';
import type { Direction, Measure, MethodologyIndicator } from './model.ts';
import { LIMITS } from './numbers.ts';
import type { Period } from './period.ts';
import type { ValueInForce } from './value-versions.ts';
import type { LedgerView } from './view.ts';

/**
 * The scoring rules, in one place.
 *
 * benchmark: what "met" is measured against — an attainment rule's own threshold if it has one,
 *            otherwise the target in force for the unit (see LedgerView.target).
 * met:       the value reaches the benchmark (≥ for higher-is-better, ≤ for lower-is-better);
 *            null when there is no benchmark.
 * points:
 *   scaled      value × factor, kept within [0, maxPoints] when maxPoints is given;
 *   attainment  maxPoints when met; otherwise value × maxPoints ÷ benchmark (higher-is-better)
 *               or benchmark × maxPoints ÷ value (lower-is-better, the mirror); 0 without a benchmark;
 *   met         maxPoints when met, otherwise 0.
 * A missing value scores 0 points and counts as not met.
 */
export interface IndicatorScore {
  readonly indicator: string;
  readonly group: string;
  readonly rule: MethodologyIndicator['rule'];
  readonly maxPoints: number | null;
  readonly direction: Direction;
  readonly value: ValueInForce | null;
  readonly target: Target | null;
  readonly benchmark: number | null;
  readonly met: boolean | null;
  readonly points: number;
}

export interface UnitScore {
  readonly unitId: string;
  readonly indicators: readonly IndicatorScore[];
  /** Points per group, by group name. */
  readonly groups: Readonly<Record<string, number>>;
  readonly total: number;
  readonly indicatorsMet: number;
  /** Indicators that have a benchmark, and so can be met. */
  readonly indicatorsTotal: number;
}

export const isMet = (direction: Direction, value: number, benchmark: number): boolean =>
  direction === 'higher-is-better' ? value >= benchmark : value <= benchmark;

export function pointsFor(
  item: MethodologyIndicator,
  direction: Direction,
  value: number | null,
  benchmark: number | null,
): number {
  if (value === null) return 0;
  const max = item.maxPoints ?? Number.POSITIVE_INFINITY;
  const met = benchmark !== null && isMet(direction, value, benchmark);
  switch (item.rule.kind) {
    case 'scaled':
      return clamp(value * item.rule.factor, max);
    case 'met':
      return met ? max : 0;
    case 'attainment':
      if (benchmark === null) return 0;
      if (met) return max;
      if (direction === 'higher-is-better') return benchmark <= 0 ? 0 : clamp((value * max) / benchmark, max);
      return value <= 0 ? max : clamp((benchmark * max) / value, max);
  }
}

const clamp = (points: number, max: number) => Math.min(Math.max(points, 0), max);

export function scoreIndicator(
  view: LedgerView,
  item: MethodologyIndicator,
  indicator: Indicator,
  unitId: string,
  period: Period,
): IndicatorScore {
  const value = view.value(unitId, item.indicator, period) ?? null;
  const target = view.target(item.indicator, period, unitId) ?? null;
  const threshold = item.rule.kind === 'attainment' ? item.rule.threshold : undefined;
  const benchmark = threshold ?? target?.value ?? null;
  const { direction } = indicator;
  return {
    indicator: item.indicator,
    group: item.group,
    rule: item.rule,
    maxPoints: item.maxPoints ?? null,
    direction,
    value,
    target,
    benchmark,
    met: benchmark === null ? null : value !== null && isMet(direction, value.value, benchmark),
    points: pointsFor(item, direction, value?.value ?? null, benchmark),
  };
}

/** Scores one unit. Sums run in methodology order, so the same inputs give the same bits. */
export function scoreUnit(
  view: LedgerView,
  methodology: Methodology,
  unitId: string,
  period: Period,
): UnitScore {
  const indicators = methodology.indicators.map((item) => {
    const indicator = view.indicator(item.indicator);
    if (!indicator)
      throw new RangeError(`methodology ${methodology.methodologyId} uses unknown ${item.indicator}`);
    return scoreIndicator(view, item, indicator, unitId, period);
  });
  // A Map, not an object: a group may be named like an inherited property ("constructor", "__proto__").
  const groups = new Map<string, number>();
  let total = 0;
  let met = 0;
  let withBenchmark = 0;
  for (const s of indicators) {
    groups.set(s.group, (groups.get(s.group) ?? 0) + s.points);
    total += s.points;
    if (s.met !== null) withBenchmark++;
    if (s.met) met++;
  }
  return {
    unitId,
    indicators,
    groups: Object.fromEntries(groups),
    total,
    indicatorsMet: met,
    indicatorsTotal: withBenchmark,
  };
}

/**
 * The most points a methodology can give one unit: each indicator's maxPoints, or for a scaled rule
 * without one, its factor times the largest value its indicator's measure allows. Checked when a
 * methodology is published (decide.ts), so that every total scoring computes stays small and finite.
 */
export function possibleTotal(items: readonly MethodologyIndicator[], measures: readonly Measure[]): number {
  let total = 0;
  items.forEach((item, i) => {
    if (item.maxPoints !== undefined) total += item.maxPoints;
    else if (item.rule.kind === 'scaled')
      total += Math.abs(item.rule.factor) * (measures[i] === 'percent' ? 100 : LIMITS.magnitude);
  });
  return total;
}
