import {
  authorizeAction,
  ledgerDay,
  principalOf,
  type RecordedEvent,
  Rejection,
  SubmissionRetracted,
  ValueCorrected,
  viewAt,
} from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { parseQuery } from '@ledger/http';
import type { Request, Router } from 'express';
import type { Projection } from './projection.ts';
import { PrincipalPageQuery } from './queries.ts';
import type { RefusalsJournal } from './refusals.ts';

/**
 * Whose answer a request may have: the caller's own, or another principal's with a grant that may
 * read ops (auditors, ops). Judged against the principals as the ledger has them, never the request.
 */
function whose(req: Request, projection: Projection, asked: string | undefined, now: number): string {
  const caller = req.principal;
  if (!caller)
    throw new Rejection(
      'unauthenticated',
      'This needs a credential: Authorization: Bearer <API key or access token>.',
    );
  const principalId = asked ?? caller.id;
  if (principalId !== caller.id && caller.auth.method !== 'none')
    authorizeAction(principalOf(projection.index, caller.id), 'ops-read', ledgerDay(now));
  return principalId;
}

type ValueEvent = RecordedEvent<
  string,
  { submissionId: string; unitId: string; indicator: string; period: string; value?: number; reason?: string }
>;

/** Where a value event stands now: still what the value is, corrected since, retracted, or superseded by another submission. */
function stateOf(
  projection: Projection,
  e: ValueEvent,
): 'in-force' | 'corrected' | 'retracted' | 'superseded' {
  const { unitId, indicator, period, submissionId } = e.data;
  const view = viewAt(projection.index);
  const inForce = view.value(unitId, indicator, period);
  if (e.type === SubmissionRetracted.type)
    return !inForce || inForce.position < e.position ? 'in-force' : 'superseded';
  if (!inForce) return 'retracted';
  if (view.valueDetails(inForce).submissionId !== submissionId) return 'superseded';
  return inForce.position === e.position ? 'in-force' : 'corrected';
}

/** A principal's own view of what it did at the door: what it submitted, and what the ledger refused. */
export function principalRoutes(
  router: Router,
  deps: {
    readonly projection: Projection;
    readonly store: EventStore;
    readonly refusals: RefusalsJournal | undefined;
    readonly fresh: () => Promise<void>;
    readonly now: () => number;
  },
): void {
  const { projection, store } = deps;

  router.get('/v1/submissions', async (req, res) => {
    const query = parseQuery(PrincipalPageQuery, req);
    const principalId = whose(req, projection, query.principalId, deps.now());
    await deps.fresh();
    const positions = projection.writesBy(principalId, query.after, query.limit);
    const events = (
      await Promise.all(positions.map((p) => store.readAll({ after: p - 1, limit: 1 })))
    ).flat() as ValueEvent[];
    const submissions = events.map((e) => ({
      position: e.position,
      recordedAt: e.recordedAt,
      eventId: e.eventId,
      type: e.type,
      unitId: e.data.unitId,
      indicator: e.data.indicator,
      period: e.data.period,
      submissionId: e.data.submissionId,
      value: e.type === SubmissionRetracted.type ? null : (e.data.value ?? null),
      reason:
        e.type === ValueCorrected.type || e.type === SubmissionRetracted.type
          ? (e.data.reason ?? null)
          : null,
      state: stateOf(projection, e),
    }));
    res.json({ principalId, submissions, next: positions.at(-1) ?? query.after });
  });

  router.get('/v1/refusals', async (req, res) => {
    const query = parseQuery(PrincipalPageQuery, req);
    const principalId = whose(req, projection, query.principalId, deps.now());
    if (!deps.refusals) throw new Rejection('not-found', 'this service keeps no refusals journal');
    const refusals = deps.refusals.of(principalId, query.after, query.limit);
    res.json({ principalId, refusals, next: refusals.at(-1)?.id ?? query.after });
  });
}
