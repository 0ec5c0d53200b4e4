import type { EventStore, LogHead } from '@ledger/event-store';
import { Router } from 'express';
import { problem, sendProblem } from './problem.ts';
import { NO_QUERY, parseQuery } from './query.ts';

/** Anything that follows the log and can say how far it got: a projection, a worker. */
export interface LogFollower {
  state(): { readonly name: string; readonly status: string; readonly checkpoint: number };
}

/** A follower that can be rebuilt from the store while the old one serves. */
export interface Rebuildable extends LogFollower {
  readonly name: string;
  rebuild(): Promise<unknown>;
}

/** A follower's state, with how far it is behind the log. */
export type FollowerLag = ReturnType<LogFollower['state']> & {
  readonly lagEvents: number;
  readonly lagSeconds: number;
};

/**
 * How far each follower is behind the head of the log: lagEvents is the number of positions between
 * its checkpoint and the head; lagSeconds is how long the oldest event it has not applied has been
 * in the log (0 when caught up). `GET /v1/ops/projections` and the metrics (ledger_follower_lag_*).
 */
export async function followerLags(
  store: EventStore,
  followers: readonly LogFollower[],
  now: () => number = Date.now,
): Promise<{ readonly head: LogHead; readonly followers: FollowerLag[] }> {
  const head = await store.head();
  const lags = await Promise.all(
    followers.map(async (f) => {
      const state = f.state();
      const [oldest] = await store.readAll({ after: state.checkpoint, limit: 1 });
      return {
        ...state,
        lagEvents: Math.max(0, head.position - state.checkpoint),
        lagSeconds: oldest ? Math.max(0, (now() - Date.parse(oldest.recordedAt)) / 1000) : 0,
      };
    }),
  );
  return { head, followers: lags };
}

/**
 * Ops endpoints: how far each projection and worker has got behind the log, and rebuilds.
 * lagEvents is the number of positions between the checkpoint and the head of the log; lagSeconds
 * is how long the oldest event not yet applied has been in the log (0 when caught up).
 */
export function opsRouter(deps: {
  store: EventStore;
  projections: readonly Rebuildable[];
  workers?: readonly LogFollower[];
  now?: () => number;
}): Router {
  const { store, projections } = deps;
  const now = deps.now ?? Date.now;
  const router = Router();

  router.get('/v1/ops/projections', async (req, res) => {
    parseQuery(NO_QUERY, req);
    const { head, followers } = await followerLags(store, [...projections, ...(deps.workers ?? [])], now);
    res.json({ head, projections: followers });
  });

  router.post('/v1/ops/projections/:name/rebuild', async (req, res) => {
    const projection = projections.find((p) => p.name === req.params.name);
    if (!projection) return sendProblem(res, problem(404, `no projection named ${req.params.name}`));
    const rebuild = await projection.rebuild();
    res.status(202).json({ name: projection.name, rebuild });
  });

  router.get('/readyz', (req, res) => {
    parseQuery(NO_QUERY, req);
    const states = [...projections, ...(deps.workers ?? [])].map((f) => f.state());
    const waiting = states.filter((s) => s.status !== 'live');
    if (waiting.length === 0) res.json({ status: 'ready', projections: states });
    else
      sendProblem(
        res,
        problem(
          503,
          // With the reason when the broker cannot be reached (docs/operations.md, "Broker outage").
          waiting
            .map((s) => {
              const broker = (s as { broker?: { reason?: string } }).broker;
              return `${s.name} is ${s.status}${broker?.reason ? ` (${broker.reason})` : ''}`;
            })
            .join('; '),
          { projections: states },
        ),
      );
  });

  return router;
}
