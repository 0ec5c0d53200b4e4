import {
  Identifier,
  type LedgerView,
  lastAtOrBefore,
  PeriodSchema,
  periodRange,
  Rejection,
  rankingChanges,
  unitExistedDuring,
  unitNameFor,
  viewAt,
} from '@ledger/domain';
import { parseQuery } from '@ledger/http';
import type { Router } from 'express';
import type { Projection } from './projection.ts';
import { AsOfQuery, ChangesQuery, CoverageQuery, PeriodsQuery, parse } from './queries.ts';
import type { Reads } from './reads.ts';

const collator = new Intl.Collator('vi');

/** A period's granularity, from its form (period.ts): 2023, 2023-Q4, 2023-12. */
export const granularityOf = (period: string): 'year' | 'quarter' | 'month' =>
  period.length === 4 ? 'year' : period.includes('Q') ? 'quarter' : 'month';

/**
 * The lists a reader picks from (methodologies with their versions, indicators, the periods that
 * hold values), the instants at which a ranking changed, and which values a set of units has.
 */
export function catalogRoutes(router: Router, projection: Projection, reads: Reads): void {
  const { stamp, viewAsOf } = reads;

  router.get('/v1/methodologies', async (req, res) => {
    const { view, at } = await viewAsOf(req, AsOfQuery);
    const { index } = projection;
    const methodologies = [...index.methodologies]
      .map(([methodologyId, history]) => {
        const versions = history
          .filter((v) => v.position <= view.position)
          .map((v) => ({
            ...v.value,
            position: v.position,
            recordedAt: new Date(recordedAtMsOf(projection, v.position)).toISOString(),
          }));
        const latest = versions.at(-1);
        return latest && { methodologyId, name: latest.name, level: latest.level, versions };
      })
      .filter((m) => m !== undefined)
      .sort((a, b) => collator.compare(a.name, b.name) || (a.methodologyId < b.methodologyId ? -1 : 1));
    res.json({ ...stamp(at, view.position), position: view.position, methodologies });
  });

  router.get('/v1/indicators', async (req, res) => {
    const { view, at } = await viewAsOf(req, AsOfQuery);
    const indicators = [...projection.index.indicators.keys()]
      .map((id) => view.indicator(id))
      .filter((i) => i !== undefined)
      .map((i) => ({ indicatorId: i.code, ...i }))
      .sort((a, b) => collator.compare(a.name, b.name) || (a.code < b.code ? -1 : 1));
    res.json({ ...stamp(at, view.position), position: view.position, indicators });
  });

  /** As of now: which periods hold values changes only by new values, and a list to pick from needs no past. */
  router.get('/v1/periods', async (req, res) => {
    const query = parseQuery(PeriodsQuery, req);
    await reads.fresh({});
    const { index } = projection;
    const view = viewAt(index);
    const wanted = query.methodologyId
      ? new Set(
          (index.methodologies.get(query.methodologyId) ?? []).flatMap((v) =>
            v.value.indicators.map((i) => i.indicator),
          ),
        )
      : query.indicator
        ? new Set([query.indicator])
        : new Set(index.indicators.keys());
    const byPeriod = new Map<string, Set<string>>();
    for (const indicator of wanted)
      for (const period of index.values.periods(indicator)) {
        const set = byPeriod.get(period) ?? new Set<string>();
        set.add(indicator);
        byPeriod.set(period, set);
      }
    const periods = [...byPeriod]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([period, indicators]) => ({
        period,
        granularity: granularityOf(period),
        indicators: [...indicators].sort(),
      }));
    res.json({ ...stamp(reads.instant(undefined), view.position), position: view.position, periods });
  });

  router.get('/v1/rankings/:methodologyId/:period/changes', async (req, res) => {
    const methodologyId = parse(Identifier, req.params.methodologyId);
    const period = parse(PeriodSchema, req.params.period);
    const query = parseQuery(ChangesQuery, req);
    await reads.fresh({ asOf: query.to });
    if (!projection.index.methodologies.has(methodologyId))
      throw new Rejection('not-found', `unknown methodology: ${methodologyId}`);
    const { changes, truncated } = rankingChanges(projection.index, methodologyId, period, {
      ...(query.parentId ? { parentId: query.parentId } : {}),
      ...(query.from !== undefined ? { fromMs: query.from } : {}),
      ...(query.to !== undefined ? { toMs: query.to } : {}),
    });
    res.json({
      methodologyId,
      period,
      parentId: query.parentId ?? null,
      changes: changes.map((c) => ({
        recordedAt: new Date(c.recordedAtMs).toISOString(),
        position: c.position,
        unitsMoved: c.unitsMoved,
        methodologyVersion: c.methodologyVersion,
      })),
      truncated,
    });
  });

  router.get('/v1/coverage/:period', async (req, res) => {
    const period = parse(PeriodSchema, req.params.period);
    const { view, at, query } = await viewAsOf(req, CoverageQuery);
    const methodology = query.methodologyId ? view.methodology(query.methodologyId, period) : undefined;
    if (query.methodologyId && !methodology)
      throw new Rejection('not-found', `methodology ${query.methodologyId} has no version for ${period}`);
    const indicators = methodology
      ? methodology.indicators.map((i) => i.indicator)
      : [...projection.index.indicators.keys()]
          .filter((id) => view.indicator(id))
          .sort((a, b) => collator.compare(view.indicator(a)?.name ?? a, view.indicator(b)?.name ?? b));
    const units = unitsFor(view, period, query.parentId, methodology?.level).map(
      ({ unit, name, parentId }) => ({
        unitId: unit.unitId,
        unitName: name,
        parentId,
        cells: Object.fromEntries(
          indicators.map((i) => [i, cellOf(projection, view, unit.unitId, i, period)]),
        ),
      }),
    );
    res.json({
      ...stamp(at, view.position),
      position: view.position,
      period,
      parentId: query.parentId ?? null,
      methodologyId: query.methodologyId ?? null,
      indicators,
      units,
    });
  });
}

const recordedAtMsOf = (projection: Projection, position: number): number =>
  projection.index.recordedAtMs.at(lastAtOrBefore(projection.index.positions, position)) as number;

/** The units that existed during the period (of a level, under a parent), named as at its end, in Vietnamese order. */
function unitsFor(view: LedgerView, period: string, parentId: string | undefined, level: string | undefined) {
  const { start, end } = periodRange(period);
  return view
    .units(parentId)
    .filter((u) => (level === undefined || u.level === level) && unitExistedDuring(u, start, end))
    .map((unit) => ({ unit, ...unitNameFor(unit, end) }))
    .filter((u) => parentId === undefined || u.parentId === parentId)
    .sort((a, b) => collator.compare(a.name, b.name) || (a.unit.unitId < b.unit.unitId ? -1 : 1));
}

/** Whether a unit has a value for an indicator and period as of the view, and how it came to be. */
function cellOf(projection: Projection, view: LedgerView, unitId: string, indicator: string, period: string) {
  const inForce = view.value(unitId, indicator, period);
  if (inForce) {
    const corrected = view.valueDetails(inForce).corrections.length > 0;
    return { state: corrected ? 'corrected' : 'submitted', value: inForce.value, position: inForce.position };
  }
  const versions = projection.index.values
    .positions(unitId, indicator, period)
    .filter((p) => p <= view.position);
  const last = versions.at(-1);
  return last === undefined
    ? { state: 'missing', value: null, position: null }
    : { state: 'retracted', value: null, position: last };
}
