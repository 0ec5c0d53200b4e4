import { invalid, Rejection, SealLedger } from '@ledger/domain';
import { invalidInput } from '@ledger/http';
import { type Request, type Response, Router } from 'express';
import { requestHash } from './idempotency.ts';
import type { Ingestion, RawCommand, WriteOutcome, WriteRequest } from './ingest.ts';

/** Makes API keys (runtime's KeyIssuer): the secret shown once, its digest stored once the issue is recorded. */
export interface KeyIssuer {
  make(): { keyId: string; key: string; store(principalId: string, expiresAt: string | null): void };
  revoke(keyId: string): void;
}

/** Who writes: the principal the request's credential authenticated (runtime's guard); never a header. */
export function principalOf(req: Request): Pick<WriteRequest, 'actor' | 'auth'> {
  if (!req.principal) throw new Rejection('unauthenticated', 'A write needs a credential.');
  return { actor: req.principal.id, auth: req.principal.auth };
}

/** The HTTP write API. Every write answers 201 with what it recorded, or a problem and no write. */
export function ingestionRouter(
  ingestion: Ingestion,
  /** Issues API keys (their digests kept outside the log); without it, key issuance answers 404. */
  keys?: KeyIssuer,
): Router {
  const router = Router();

  const context = (req: Request) => {
    const key = req.get('idempotency-key');
    if (key !== undefined && (key.length < 1 || key.length > 255))
      throw invalid('Idempotency-Key', 'must be 1–255 characters');
    return {
      idempotencyKey: key,
      requestHash: requestHash(`${req.method} ${req.path}`, req.body),
      ...principalOf(req),
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

  router.post('/v1/access/principals', single('principal'));
  router.post('/v1/access/grants', single('grant'));
  router.post(
    '/v1/access/grants/:grantId/revocations',
    single('grant-revocation', (req) => ({ grantId: req.params.grantId as string })),
  );

  /**
   * Issues an API key: 201 with the key, shown this once. The issue is recorded in the log first and
   * the key's digest stored after, so a key that works is always one the log knows.
   */
  router.post('/v1/access/principals/:principalId/keys', async (req, res) => {
    if (!keys)
      throw new Rejection('not-found', 'this deployment issues no API keys; it takes OIDC access tokens');
    const { expiresAt, ...rest } = body(req);
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw invalid(extra, 'unknown field; a key has only expiresAt');
    if (req.get('idempotency-key') !== undefined)
      throw invalid(
        'Idempotency-Key',
        'is not taken here: a key is shown once, so a retry issues another key',
      );
    const principalId = req.params.principalId as string;
    const made = keys.make();
    const { idempotencyKey: _, ...who } = context(req);
    const outcome = await ingestion.execute({
      ...who,
      commands: [
        {
          type: 'api-key',
          body: { keyId: made.keyId, principalId, ...(expiresAt === undefined ? {} : { expiresAt }) },
        },
      ],
      pathOf: () => '',
      submissionAddressedBy: 'path',
    });
    const expires = typeof expiresAt === 'string' ? new Date(expiresAt).toISOString() : null;
    made.store(principalId, expires);
    res
      .status(201)
      .json({ keyId: made.keyId, key: made.key, principalId, expiresAt: expires, ...outcome.results[0] });
  });

  /** Revokes an API key: recorded in the log (which authentication reads too), then marked in the credential store. */
  router.post('/v1/access/keys/:keyId/revocations', async (req, res) => {
    const fields = body(req);
    const request: WriteRequest = {
      ...context(req),
      commands: [{ type: 'api-key-revocation', body: { ...fields, keyId: req.params.keyId as string } }],
      pathOf: () => '',
      submissionAddressedBy: 'path',
    };
    const outcome = await ingestion.execute(request);
    keys?.revoke(req.params.keyId as string);
    send(res, outcome, true);
  });

  /** Seals the ledger (docs/scoring.md, "Time"): 201 with the seal, or 200 with it if it was sealed before. */
  router.post('/v1/ops/seal', async (req, res) => {
    const parsed = SealLedger.safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    const { actor, auth, correlationId, causationId } = context(req);
    const { recorded, seal } = await ingestion.seal({
      reason: parsed.data.reason ?? null,
      actor,
      auth,
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
