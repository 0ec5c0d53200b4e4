import type { EventStore } from '@ledger/event-store';
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
    const head = await store.head();
    const followers: LogFollower[] = [...projections, ...(deps.workers ?? [])];
    const states = await Promise.all(
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
    res.json({ head, projections: states });
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
        problem(503, waiting.map((s) => `${s.name} is ${s.status}`).join('; '), { projections: states }),
      );
  });

  return router;
}
