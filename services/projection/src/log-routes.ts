import type { Bus } from '@ledger/bus';
import { bookkeepingStreams, isLogKeyStatement, lastAtOrBefore, Rejection } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { invalidInput, type Logger, NO_QUERY, parseQuery, problem, sendProblem } from '@ledger/http';
import { consistencyProofJson, inclusionProofJson, toBase64 } from '@ledger/transparency-log';
import { Router } from 'express';
import type { Projection } from './projection.ts';
import { ConsistencyQuery, InclusionQuery, RotationRequest } from './queries.ts';
import { type Checkpointer, startCheckpointer } from './transparency.ts';

/** The tree size and root covering the log up to a position: what an answer was computed from. */
export function logAt(projection: Projection, position: number) {
  const size = lastAtOrBefore(projection.index.positions, position) + 1;
  return { size, root: toBase64(projection.tree.root(size)) };
}

/**
 * The transparency log: the Merkle tree over every event in global order (RFC 9162 leaves over the
 * RFC 8785 canonical JSON of each event), signed C2SP checkpoints, and proofs.
 */
export function logRouter(deps: {
  projection: Projection;
  store: EventStore;
  checkpointer: Checkpointer;
}): Router {
  const { projection, store, checkpointer } = deps;
  const router = Router();
  const outOfRange = (what: string, max: number) =>
    problem(400, `${what} must be at most ${max}, the log's size`);

  /**
   * The key statements on `tlog:checkpoints`, read once and then from the revision after the last
   * one read: the stream grows by a checkpoint a minute, the statements by one a year.
   */
  const seen = { revision: -1, statements: [] as object[] };
  let reading: Promise<object[]> | undefined;
  // One read at a time, so that two requests cannot both add the same statements.
  const statements = () => {
    reading ??= readStatements().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const readStatements = async () => {
    for (;;) {
      const page = await store.readStream(bookkeepingStreams.logCheckpoints, {
        fromRevision: seen.revision + 1,
        maxCount: 1_000,
      });
      for (const e of page)
        if (isLogKeyStatement(e.type))
          seen.statements.push({
            position: e.position,
            recordedAt: e.recordedAt,
            type: e.type,
            actor: e.metadata.actor,
            ...(e.data as object),
          });
      seen.revision = page.at(-1)?.revision ?? seen.revision;
      if (page.length < 1_000) return seen.statements;
    }
  };

  router.get('/v1/log', (req, res) => {
    parseQuery(NO_QUERY, req);
    const size = projection.tree.size;
    res.json({
      size,
      root: toBase64(projection.tree.root(size)),
      verifierKey: checkpointer.verifierKey(),
      checkpoint: checkpointer.latest() ?? null,
    });
  });

  router.get('/v1/log/key', (req, res) => {
    parseQuery(NO_QUERY, req);
    res.type('text/plain').send(`${checkpointer.verifierKey()}\n`);
  });

  /**
   * The key statements the log records, in log order: each change of the signing key, by a
   * rotation or after a loss. An auditor follows them from the key they pinned (`ledger verify`).
   */
  router.get('/v1/log/keys', async (req, res) => {
    parseQuery(NO_QUERY, req);
    res.json({ verifierKey: checkpointer.verifierKey(), statements: await statements() });
  });

  router.get('/v1/log/checkpoint', (req, res) => {
    parseQuery(NO_QUERY, req);
    const latest = checkpointer.latest();
    if (!latest) return sendProblem(res, problem(404, 'no checkpoint has been signed yet'));
    res.type('text/plain').send(latest.note);
  });

  /**
   * Signs a checkpoint if events other than checkpoints were added since the last: 201; else the
   * last one, 200. It covers at least every write acknowledged before the call: it waits (up to
   * 5 s) for the projection to apply the log as the store holds it now.
   */
  router.post('/v1/ops/log/checkpoint', async (_req, res) => {
    await projection.waitFor((await store.head()).position, 5_000);
    const before = checkpointer.latest();
    const signed = await checkpointer.signNow();
    if (!signed)
      return sendProblem(
        res,
        problem(503, 'nothing to sign: the projection is not live or the log is empty'),
      );
    res.status(signed === before ? 200 : 201).json(signed);
  });

  /**
   * Rotates the signing key (ops): the log records a statement signed by the current key and the
   * next one, at the tree that covers every write acknowledged before the call; later checkpoints
   * are signed by the next key. 201 with the statement.
   */
  router.post('/v1/ops/log/key-rotation', async (req, res) => {
    const parsed = RotationRequest.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    if (!req.principal) throw new Rejection('unauthenticated', 'A key rotation needs a credential.');
    await projection.waitFor((await store.head()).position, 5_000);
    const change = await checkpointer.rotateKey({
      actor: req.principal.id,
      auth: req.principal.auth,
      correlationId: req.correlationId,
      ...(parsed.data.reason ? { reason: parsed.data.reason } : {}),
    });
    res.status(201).json(change);
  });

  router.get('/v1/log/proofs/inclusion', (req, res) => {
    const { position, size } = parseQuery(InclusionQuery, req);
    const { index, tree } = projection;
    const leafIndex = lastAtOrBefore(index.positions, position);
    if (leafIndex < 0 || index.positions.at(leafIndex) !== position)
      return sendProblem(res, problem(404, `no event at position ${position}`));
    const treeSize = size ?? tree.size;
    if (treeSize > tree.size) return sendProblem(res, outOfRange('size', tree.size));
    if (leafIndex >= treeSize)
      return sendProblem(
        res,
        problem(400, `the event at position ${position} is not in a tree of size ${treeSize}`),
      );
    // The shape `ledger proof` prints too, and the reference verifier reads as it is served.
    res.json({
      position,
      ...inclusionProofJson(tree, leafIndex, treeSize),
      root: toBase64(tree.root(treeSize)),
    });
  });

  router.get('/v1/log/proofs/consistency', (req, res) => {
    const { from, to } = parseQuery(ConsistencyQuery, req);
    const { tree } = projection;
    const newSize = to ?? tree.size;
    if (newSize > tree.size) return sendProblem(res, outOfRange('to', tree.size));
    if (from > newSize) return sendProblem(res, problem(400, 'from must not be larger than to'));
    res.json({
      ...consistencyProofJson(tree, from, newSize),
      oldRoot: toBase64(tree.root(from)),
      newRoot: toBase64(tree.root(newSize)),
    });
  });

  return router;
}

/** The transparency log of a projection: its keys (in `keyDir`, log-keys.ts), the checkpointer and the routes. */
export async function startTransparencyLog(deps: {
  projection: Projection;
  store: EventStore;
  bus: Bus;
  keyDir: string;
  origin: string;
  intervalSeconds: number;
  keyLoss?: { readonly lostKey: string; readonly reason: string } | undefined;
  logger: Logger;
}) {
  const checkpointer = await startCheckpointer({ ...deps, intervalMs: deps.intervalSeconds * 1000 });
  return {
    checkpointer,
    router: logRouter({ projection: deps.projection, store: deps.store, checkpointer }),
  };
}
