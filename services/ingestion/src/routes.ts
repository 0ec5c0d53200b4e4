import { invalid, Label, SealLedger } from '@ledger/domain';
import { invalidInput } from '@ledger/http';
import { type Request, type Response, Router } from 'express';
import { requestHash } from './idempotency.ts';
import type { Ingestion, RawCommand, WriteOutcome, WriteRequest } from './ingest.ts';

/** Who writes: X-Actor, checked like any label (no control or invisible characters), or 'anonymous'. */
export function actorOf(value: string | undefined, path = 'X-Actor'): string {
  const actor = value?.trim() || 'anonymous';
  const parsed = Label.safeParse(actor);
  if (!parsed.success) throw invalidInput(parsed.error, path);
  return parsed.data;
}

/** The HTTP write API. Every write answers 201 with what it recorded, or a problem and no write. */
export function ingestionRouter(ingestion: Ingestion): Router {
  const router = Router();

  const context = (req: Request) => {
    const key = req.get('idempotency-key');
    if (key !== undefined && (key.length < 1 || key.length > 255))
      throw invalid('Idempotency-Key', 'must be 1–255 characters');
    return {
      idempotencyKey: key,
      requestHash: requestHash(`${req.method} ${req.path}`, req.body),
      actor: actorOf(req.get('x-actor')),
      correlationId: req.correlationId,
      causationId: req.requestId,
    };
  };

  const body = (req: Request): Record<string, unknown> => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
      throw invalid('', 'the body must be a JSON object');
    return req.body as Record<string, unknown>;
  };

  const send = (res: Response, outcome: WriteOutcome, single: boolean) => {
    if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).json(single ? outcome.results[0] : { results: outcome.results });
  };

  /** One command from the body (less recordedAt), with fields from the URL merged in. */
  const single =
    (type: string, fromPath: (req: Request) => Record<string, string> = () => ({})) =>
    async (req: Request, res: Response) => {
      const { recordedAt, ...fields } = body(req);
      const request: WriteRequest = {
        ...context(req),
        commands: [{ type, body: { ...fields, ...fromPath(req) } }],
        pathOf: () => '',
        recordedAt,
        submissionAddressedBy: 'path',
      };
      send(res, await ingestion.execute(request), true);
    };

  router.post('/v1/units', single('unit'));
  router.post(
    '/v1/units/:unitId/revisions',
    single('unit-revision', (req) => ({ unitId: req.params.unitId as string })),
  );
  router.post('/v1/indicators', single('indicator'));
  router.post('/v1/methodologies', single('methodology'));
  router.post('/v1/targets', single('target'));
  router.post('/v1/submissions', single('submission'));
  router.post(
    '/v1/submissions/:submissionId/corrections',
    single('correction', (req) => ({ submissionId: req.params.submissionId as string })),
  );
  router.post(
    '/v1/submissions/:submissionId/retractions',
    single('retraction', (req) => ({ submissionId: req.params.submissionId as string })),
  );

  /** Seals the ledger (docs/scoring.md, "Time"): 201 with the seal, or 200 with it if it was sealed before. */
  router.post('/v1/ops/seal', async (req, res) => {
    const parsed = SealLedger.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    const { actor, correlationId, causationId } = context(req);
    const { recorded, seal } = await ingestion.seal({
      reason: parsed.data.reason ?? null,
      actor,
      correlationId,
      causationId,
    });
    res.status(recorded ? 201 : 200).json({ sealed: true, ...seal });
  });

  router.post('/v1/batch', async (req, res) => {
    const { commands, recordedAt, ...rest } = body(req);
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw invalid(extra, 'unknown field; a batch has commands and recordedAt');
    if (!Array.isArray(commands) || commands.length === 0)
      throw invalid('commands', 'must be a non-empty array of {type, body}');
    if (commands.length > 10_000) throw invalid('commands', 'at most 10000 commands per batch');
    const raw = commands.map((c: unknown, i): RawCommand => {
      if (!c || typeof c !== 'object' || Array.isArray(c))
        throw invalid(`commands.${i}`, 'must be {type, body}');
      const { type, body, ...more } = c as Record<string, unknown>;
      const unknown = Object.keys(more)[0];
      if (unknown !== undefined)
        throw invalid(`commands.${i}.${unknown}`, 'unknown field; a command has type and body');
      return { type, body };
    });
    const request: WriteRequest = {
      ...context(req),
      commands: raw,
      pathOf: (i) => `commands.${i}.body`,
      recordedAt,
      submissionAddressedBy: 'body',
    };
    send(res, await ingestion.execute(request), false);
  });

  return router;
}
