import type { EventData } from './events.ts';
import { unitExistedDuring } from './facts.ts';
import type { LedgerIndex, LedgerRecordedEvent } from './ledger-index.ts';
import { type Period, periodRange, periodYear } from './period.ts';
import { scoreUnit } from './scoring.ts';
import type { LedgerView } from './view.ts';

/** One score: a unit under a methodology for a period. */
export interface ScoreKey {
  readonly methodologyId: string;
  readonly period: Period;
  readonly unitId: string;
}

export type ScoreData = EventData<'ledger.score-computed.v1'>;

/**
 * The scores an event may change, given the index with that event folded in: a value changes its
 * unit's score under every methodology that uses the indicator; a target, the scores of the units
 * it applies to for its period (and, for a year, the periods within it that have values); a
 * methodology or an indicator revision, every score that uses it. Unit changes move rankings, not
 * scores.
 */
export function scoresAffectedBy(
  index: LedgerIndex,
  view: LedgerView,
  event: LedgerRecordedEvent,
): ScoreKey[] {
  switch (event.type) {
    case 'ledger.value-submitted.v1':
    case 'ledger.value-corrected.v1':
    case 'ledger.submission-retracted.v1': {
      const { unitId, indicator, period } = event.data;
      return methodologiesUsing(index, view, indicator).map((methodologyId) => ({
        methodologyId,
        period,
        unitId,
      }));
    }
    case 'ledger.target-set.v1':
      return targetImpact(index, view, event.data);
    case 'ledger.methodology-published.v1':
      return everyScoreOf(index, view, event.data.methodologyId);
    case 'ledger.indicator-revised.v1':
      return methodologiesUsing(index, view, event.data.code).flatMap((id) => everyScoreOf(index, view, id));
    default:
      return [];
  }
}

/** The score of a key in the view, or undefined when the unit is not ranked by it for that period. */
export function computeScore(view: LedgerView, key: ScoreKey): Omit<ScoreData, 'computedFrom'> | undefined {
  const methodology = view.methodology(key.methodologyId, key.period);
  const unit = view.unit(key.unitId);
  if (!methodology || !unit || unit.level !== methodology.level) return undefined;
  const { start, end } = periodRange(key.period);
  if (!unitExistedDuring(unit, start, end)) return undefined;
  const score = scoreUnit(view, methodology, key.unitId, key.period);
  return {
    unitId: key.unitId,
    methodologyId: key.methodologyId,
    methodologyVersion: methodology.version,
    period: key.period,
    points: Object.fromEntries(score.indicators.map((s) => [s.indicator, s.points])),
    groups: { ...score.groups },
    total: score.total,
    indicatorsMet: score.indicatorsMet,
    indicatorsTotal: score.indicatorsTotal,
  };
}

function methodologiesUsing(index: LedgerIndex, view: LedgerView, indicator: string): string[] {
  return [...index.methodologies.keys()].filter((id) =>
    view.methodology(id)?.indicators.some((i) => i.indicator === indicator),
  );
}

/** The periods that have a value of any of the indicators. */
function periodsWithValues(index: LedgerIndex, indicators: readonly string[]): Period[] {
  const periods = new Set<Period>();
  for (const code of indicators) for (const p of index.values.periods(code)) periods.add(p);
  return [...periods].sort();
}

function unitsAt(view: LedgerView, level: string, period: Period): string[] {
  const { start, end } = periodRange(period);
  return view
    .units()
    .filter((u) => u.level === level && unitExistedDuring(u, start, end))
    .map((u) => u.unitId);
}

function everyScoreOf(index: LedgerIndex, view: LedgerView, methodologyId: string): ScoreKey[] {
  const latest = view.methodology(methodologyId);
  if (!latest) return [];
  const indicators = (index.methodologies.get(methodologyId) ?? []).flatMap((v) =>
    v.value.indicators.map((i) => i.indicator),
  );
  return periodsWithValues(index, indicators).flatMap((period) =>
    unitsAt(view, latest.level, period).map((unitId) => ({ methodologyId, period, unitId })),
  );
}

function targetImpact(
  index: LedgerIndex,
  view: LedgerView,
  target: EventData<'ledger.target-set.v1'>,
): ScoreKey[] {
  const periods = index.values.periods(target.indicator);
  const affected = [...periods].filter(
    (p) => p === target.period || (periodYear(p) === target.period && p !== target.period),
  );
  return methodologiesUsing(index, view, target.indicator).flatMap((methodologyId) => {
    const level = view.methodology(methodologyId)?.level ?? '';
    return affected.sort().flatMap((period) =>
      (target.unitId ? [target.unitId] : unitsAt(view, level, period)).map((unitId) => ({
        methodologyId,
        period,
        unitId,
      })),
    );
  });
}
