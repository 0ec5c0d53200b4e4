import {
  type EventRef,
  type IndicatorScore,
  type LedgerView,
  type Methodology,
  periodRange,
  type RankingRow,
  Rejection,
  rank,
  unitNameFor,
} from '@ledger/domain';

/**
 * Scores and rankings as the API serves them. Totals and points are rounded to two decimals for
 * display; ranks were decided on the exact values, which `totalExact` keeps.
 */
export const display = (points: number): number => Math.round(points * 100) / 100;

const roundAll = (record: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, display(v)]));

function methodologyAt(view: LedgerView, methodologyId: string, period: string): Methodology {
  const methodology = view.methodology(methodologyId, period);
  if (!methodology)
    throw new Rejection(
      'not-found',
      `no version of methodology ${methodologyId} for ${period} was published as of position ${view.position}`,
    );
  return methodology;
}

export interface RankingReportRow {
  readonly rank: number;
  readonly unitId: string;
  readonly unitName: string;
  readonly parentId: string | null;
  readonly total: number;
  readonly totalExact: number;
  readonly indicatorsMet: number;
  readonly indicatorsTotal: number;
  readonly groups: Record<string, number>;
  readonly points: Record<string, number>;
}

export interface RankingReport {
  readonly methodologyId: string;
  readonly methodologyVersion: number;
  readonly methodologyName: string;
  readonly methodologyAppliesFrom: string | null;
  readonly level: string;
  readonly period: string;
  readonly position: number;
  readonly rows: readonly RankingReportRow[];
}

const rowOf = (row: RankingRow): RankingReportRow => ({
  rank: row.rank,
  unitId: row.unitId,
  unitName: row.unitName,
  parentId: row.parentId,
  total: display(row.total),
  totalExact: row.total,
  indicatorsMet: row.indicatorsMet,
  indicatorsTotal: row.indicatorsTotal,
  groups: roundAll(row.groups),
  points: Object.fromEntries(row.indicators.map((s) => [s.indicator, display(s.points)])),
});

export function rankingReport(
  view: LedgerView,
  methodologyId: string,
  period: string,
  parentId?: string,
): RankingReport {
  const methodology = methodologyAt(view, methodologyId, period);
  const ranking = rank(view, methodology, period, parentId);
  return {
    methodologyId,
    methodologyVersion: methodology.version,
    methodologyName: methodology.name,
    methodologyAppliesFrom: methodology.appliesFrom,
    level: methodology.level,
    period,
    position: view.position,
    rows: ranking.rows.map(rowOf),
  };
}

const eventOf = (ref: EventRef) => ({ ...ref });

const indicatorLine = (view: LedgerView, s: IndicatorScore) => {
  const details = s.value ? view.valueDetails(s.value) : undefined;
  return {
    indicator: s.indicator,
    name: view.indicator(s.indicator)?.name ?? s.indicator,
    group: s.group,
    rule: s.rule,
    maxPoints: s.maxPoints,
    direction: s.direction,
    value: s.value?.value ?? null,
    target: s.target
      ? {
          value: s.target.value,
          period: s.target.period,
          unitId: s.target.unitId,
          authority: s.target.authority,
          reason: s.target.reason,
          event: eventOf(s.target.event),
        }
      : null,
    benchmark: s.benchmark,
    met: s.met,
    points: display(s.points),
    pointsExact: s.points,
    submission: details
      ? {
          submissionId: details.submissionId,
          source: details.source,
          reportedAt: details.reportedAt,
          event: eventOf(details.submission),
        }
      : null,
    corrections:
      details?.corrections.map((c) => ({ value: c.value, reason: c.reason, event: eventOf({ ...c }) })) ?? [],
  };
};

/** One unit's scores with, for each indicator, the value, the target and the events behind them. */
export function scorecardReport(view: LedgerView, unitId: string, methodologyId: string, period: string) {
  const methodology = methodologyAt(view, methodologyId, period);
  const unit = view.unit(unitId);
  if (!unit)
    throw new Rejection('not-found', `unit ${unitId} was not registered as of position ${view.position}`);
  const ranking = rank(view, methodology, period);
  const row = ranking.rows.find((r) => r.unitId === unitId);
  if (!row)
    throw new Rejection(
      'not-found',
      `unit ${unitId} is not ranked by ${methodologyId} for ${period}: it is not a ${methodology.level}-level unit that existed then`,
    );
  return {
    unitId,
    unitName: unitNameFor(unit, periodRange(period).end).name,
    methodologyId,
    methodologyVersion: methodology.version,
    period,
    position: view.position,
    rank: row.rank,
    of: ranking.rows.length,
    total: display(row.total),
    totalExact: row.total,
    indicatorsMet: row.indicatorsMet,
    indicatorsTotal: row.indicatorsTotal,
    groups: roundAll(row.groups),
    indicators: row.indicators.map((s) => indicatorLine(view, s)),
  };
}

export type ScorecardReport = ReturnType<typeof scorecardReport>;
