import {
  AsOfSchema,
  diffRankings,
  grantsAsOf,
  headPosition,
  Identifier,
  invalid,
  type LedgerView,
  lastAtOrBefore,
  ledgerDay,
  PeriodSchema,
  positionAsOf,
  principalsOf,
  type RecordedEvent,
  Rejection,
  rank,
  sealOf,
  streams,
  viewAt,
} from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { NO_QUERY, parseQuery, problem, sendProblem } from '@ledger/http';
import { display, rankingReport, scorecardReport } from '@ledger/reports';
import { type Request, Router } from 'express';
import type { z } from 'zod';
import { catalogRoutes } from './catalog-routes.ts';
import { logAt } from './log-routes.ts';
import { principalRoutes } from './principal-routes.ts';
import type { Projection } from './projection.ts';
import {
  AsOfQuery,
  DiffQuery,
  EventsQuery,
  GrantsQuery,
  HistoryQuery,
  parse,
  RankingQuery,
  VerifyRequest,
} from './queries.ts';
import type { AsOfSchemaLike, Reads } from './reads.ts';
import type { RefusalsJournal } from './refusals.ts';

export interface ReadDeps {
  readonly projection: Projection;
  readonly store: EventStore;
  /** The clock, for "as of now". */
  readonly now?: () => number;
  /** Rebuilds a ranking from the raw log in a separate process and compares it with what this serves. */
  readonly verifyReplay?: (
    request: { methodologyId: string; period: string; asOf?: string },
    /** The caller's Authorization header: the replay reads the served ranking as the caller. */
    authorization: string | undefined,
  ) => Promise<object>;
  /** How long a read waits for the projection to reach the writes acknowledged before it. */
  readonly freshnessTimeoutMs?: number;
  /** The commands refused at the door (refusals.ts), for `GET /v1/refusals`. */
  readonly refusals?: RefusalsJournal;
}

/** The read API. Every read sees at least every write acknowledged before it began. */
export function readRouter(deps: ReadDeps): Router {
  const { projection, store } = deps;
  const now = deps.now ?? Date.now;
  const timeout = deps.freshnessTimeoutMs ?? 5_000;
  const router = Router();

  /**
   * Waits until the projection holds everything the store held when the request came in — unless
   * the answer is about a past the projection has already passed: a log position it has applied,
   * or an instant before the recordedAt of the last event it applied (recordedAt only grows along
   * the log, so every event recorded at or before that instant is in). Auditors' historical reads
   * so never wait on a projection that lags behind live writes.
   */
  const fresh = async (about: { asOf?: number | undefined; atPosition?: number | undefined } = {}) => {
    const { index } = projection;
    if (about.atPosition !== undefined && about.atPosition <= headPosition(index)) return;
    if (about.asOf !== undefined && about.asOf < (index.recordedAtMs.at(-1) ?? Number.NEGATIVE_INFINITY))
      return;
    const head = await store.head();
    if (!(await projection.waitFor(head.position, timeout))) {
      const state = projection.state();
      throw new Rejection(
        'unavailable',
        `projection ${state.name} has not reached the log's head (position ${head.position}) within ${timeout / 1000} s: it is ${state.status} at ${state.checkpoint}; try again (in a split deployment, see its /readyz)`,
      );
    }
  };

  /**
   * The instant an answer is given as of: the one asked for, or now. An instant in the future is
   * answered as of now, and the answer says so with the instant that was asked for.
   */
  const instant = (asked: number | undefined) => {
    const at = now();
    if (asked === undefined || asked <= at)
      return { ms: asked ?? at, asOf: new Date(asked ?? at).toISOString() };
    return { ms: at, asOf: new Date(at).toISOString(), requestedAsOf: new Date(asked).toISOString() };
  };

  /**
   * What every as-of answer says of itself: the instant, and whether the ledger is sealed. While it
   * is not, a write may still be imported with an earlier recordedAt, and the answer is provisional.
   */
  const sealed = () => sealOf(projection.index) !== undefined;

  /** The view as of the requested instant (default: now) or log position, and that instant. */
  const viewAsOf = async <S extends AsOfSchemaLike>(req: Request, schema: S) => {
    const query = parseQuery(schema, req) as z.infer<typeof RankingQuery> & z.infer<S>;
    await fresh(query);
    if (query.atPosition !== undefined) {
      const i = lastAtOrBefore(projection.index.positions, query.atPosition);
      const position = i < 0 ? 0 : (projection.index.positions.at(i) as number);
      return { view: viewAt(projection.index, position), at: { asOf: recordedAtOf(position) }, query };
    }
    const at = instant(query.asOf);
    return { view: viewAt(projection.index, positionAsOf(projection.index, at.ms)), at, query };
  };

  const stamp = (at: { asOf: string | null; requestedAsOf?: string }, position: number) => ({
    asOf: at.asOf,
    ...(at.requestedAsOf ? { requestedAsOf: at.requestedAsOf } : {}),
    sealed: sealed(),
    recordedAt: recordedAtOf(position),
  });

  const reads: Reads = { fresh, instant, viewAsOf, stamp };
  catalogRoutes(router, projection, reads);
  principalRoutes(router, { projection, store, refusals: deps.refusals, fresh: () => fresh({}), now });

  /** The events at some log positions, read from the store. */
  const eventsAt = async (positions: readonly number[]) =>
    (await Promise.all(positions.map((p) => store.readAll({ after: p - 1, limit: 1 })))).flat();

  const recordedAtOf = (position: number) => {
    const i = lastAtOrBefore(projection.index.positions, position);
    const ms = projection.index.recordedAtMs.at(i);
    return ms === undefined ? null : new Date(ms).toISOString();
  };

  router.get('/v1/rankings/:methodologyId/:period', async (req, res) => {
    const methodologyId = parse(Identifier, req.params.methodologyId);
    const period = parse(PeriodSchema, req.params.period);
    const { view, at, query } = await viewAsOf(req, RankingQuery);
    const report = rankingReport(view, methodologyId, period, query.parentId);
    res.json({
      ...stamp(at, view.position),
      parentId: query.parentId ?? null,
      ...report,
      log: logAt(projection, view.position),
    });
  });

  router.get('/v1/rankings/:methodologyId/:period/diff', async (req, res) => {
    const methodologyId = parse(Identifier, req.params.methodologyId);
    const period = parse(PeriodSchema, req.params.period);
    const query = parseQuery(DiffQuery, req);
    await fresh({ asOf: query.to });
    const { index } = projection;
    if ((query.to ?? now()) < query.from) throw invalid('to', 'must not be before from');
    const at = (asked: number | undefined) => {
      const when = instant(asked);
      const view = viewAt(index, positionAsOf(index, when.ms));
      const methodology = view.methodology(methodologyId, period);
      return { view, methodology, when };
    };
    const from = at(query.from);
    const to = at(query.to);
    if (!to.methodology)
      throw new Rejection('not-found', `methodology ${methodologyId} has no version for ${period}`);
    const empty = { methodology: to.methodology, period, position: from.view.position, rows: [] };
    const before = from.methodology ? rank(from.view, from.methodology, period, query.parentId) : empty;
    const after = rank(to.view, to.methodology, period, query.parentId);
    const changes = diffRankings(index, before, after);
    const events = new Map(
      (await eventsAt([...new Set(changes.flatMap((c) => c.causes))])).map((e) => [e.position, e]),
    );
    const end = (x: typeof from) => ({
      ...stamp(x.when, x.view.position),
      position: x.view.position,
      methodologyVersion: x.methodology?.version ?? null,
      log: logAt(projection, x.view.position),
    });
    res.json({
      sealed: sealed(),
      methodologyId,
      period,
      parentId: query.parentId ?? null,
      from: end(from),
      to: end(to),
      changes: changes.map((c) => ({
        ...c,
        totalFrom: c.totalFrom === null ? null : display(c.totalFrom),
        totalTo: c.totalTo === null ? null : display(c.totalTo),
        causes: c.causes.map((p) => events.get(p)),
      })),
    });
  });

  router.get('/v1/units/:unitId/scorecard/:methodologyId/:period', async (req, res) => {
    const unitId = parse(Identifier, req.params.unitId);
    const methodologyId = parse(Identifier, req.params.methodologyId);
    const period = parse(PeriodSchema, req.params.period);
    const { view, at } = await viewAsOf(req, AsOfQuery);
    res.json({
      ...stamp(at, view.position),
      ...scorecardReport(view, unitId, methodologyId, period),
      log: logAt(projection, view.position),
    });
  });

  /** The principals as the log has them now, with the roles in force today (auditors, access admins). */
  router.get('/v1/access/principals', async (req, res) => {
    parseQuery(NO_QUERY, req);
    await fresh({});
    const at = instant(undefined);
    res.json({
      ...stamp(at, headPosition(projection.index)),
      principals: principalsOf(projection.index, ledgerDay(at.ms)),
    });
  });

  /**
   * The grants in force as of an instant (default now): as the log stood then and on that day, what
   * authorisation at that instant saw. An auditor checks with it that each write was authorised.
   */
  router.get('/v1/access/grants', async (req, res) => {
    const query = parseQuery(GrantsQuery, req);
    await fresh(query);
    const at = instant(query.asOf);
    const { position, day, grants } = grantsAsOf(projection.index, at.ms, query.principalId);
    res.json({ ...stamp(at, position), position, day, grants });
  });

  router.get('/v1/units', async (req, res) => {
    const { view, at } = await viewAsOf(req, AsOfQuery);
    const collator = new Intl.Collator('vi');
    const units = view
      .units()
      .map((u) => ({
        ...u,
        name: u.names.at(-1)?.name ?? u.unitId,
        parentId: u.names.at(-1)?.parentId ?? null,
      }))
      .sort((a, b) => collator.compare(a.name, b.name) || (a.unitId < b.unitId ? -1 : 1));
    res.json({ ...stamp(at, view.position), position: view.position, units });
  });

  /** One unit, indicator or methodology as the ledger knew it at asOf. */
  const oneAsOf = (
    path: string,
    what: string,
    lookup: (view: LedgerView, id: string) => object | undefined,
  ) =>
    router.get(path, async (req, res) => {
      const id = parse(Identifier, req.params.id);
      const { view, at } = await viewAsOf(req, AsOfQuery);
      const found = lookup(view, id);
      if (!found) throw new Rejection('not-found', `unknown ${what}: ${id}`);
      res.json({ ...stamp(at, view.position), position: view.position, ...found });
    });
  oneAsOf('/v1/units/:id', 'unit', (view, id) => view.unit(id));
  oneAsOf('/v1/indicators/:id', 'indicator', (view, id) => view.indicator(id));
  oneAsOf('/v1/methodologies/:id', 'methodology', (view, id) => view.methodology(id));

  /**
   * One verification at a time: each rebuilds the ranking from the whole log in a process of its
   * own, and many at once would only make each slower. Another call meanwhile gets 429 with
   * Retry-After, the seconds the last one took.
   */
  let verifying = false;
  let lastVerificationMs = 1_000;
  router.post('/v1/ops/verify-replay', async (req, res) => {
    if (!deps.verifyReplay) throw new Rejection('not-found', 'replay verification is not configured here');
    const request = parse(VerifyRequest, req.body ?? {});
    if (request.asOf !== undefined) parse(AsOfSchema, request.asOf);
    if (verifying) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(lastVerificationMs / 1000))));
      return sendProblem(res, problem(429, 'a replay verification is already running; try again later'));
    }
    verifying = true;
    const started = Date.now();
    try {
      await fresh();
      res.json(await deps.verifyReplay(request, req.get('authorization')));
    } finally {
      verifying = false;
      lastVerificationMs = Date.now() - started;
    }
  });

  router.get('/v1/history', async (req, res) => {
    const { unitId, indicator, period } = parseQuery(HistoryQuery, req);
    const read = await Promise.all(
      [
        streams.value(unitId, indicator, period),
        streams.target(indicator, period, unitId),
        streams.target(indicator, period, null),
      ].map((s) => store.readStream(s)),
    );
    const events = read.flat().sort((a, b) => a.position - b.position);
    res.json({ unitId, indicator, period, events });
  });

  router.get('/v1/events', async (req, res) => {
    const { after, limit } = parseQuery(EventsQuery, req);
    const events: RecordedEvent[] = await store.readAll({ after, limit });
    res.json({ events, next: events.at(-1)?.position ?? after });
  });

  return router;
}
