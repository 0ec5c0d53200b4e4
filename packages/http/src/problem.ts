import { type FieldError, Rejection, type RejectionKind } from '@ledger/domain';
import { DuplicateEventId, RecordedAtConflict, WrongExpectedRevision } from '@ledger/event-store';
import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';

/** An RFC 9457 problem detail. */
export interface Problem {
  readonly type?: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://indicator-ledger.example/problems/';

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Unprocessable reference',
  429: 'Too many requests',
  503: 'Not ready',
  500: 'Internal error',
};

const STATUS_OF: Record<RejectionKind, number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  'unknown-reference': 422,
  // The IETF Idempotency-Key draft answers a key reused for another request with 422.
  'key-reused': 422,
  unavailable: 503,
  unauthenticated: 401,
  forbidden: 403,
};

export const problem = (status: number, detail: string, extra: Partial<Problem> = {}): Problem => ({
  type: `${PROBLEM_TYPE_BASE}${status}`,
  status,
  title: TITLES[status] ?? 'Error',
  detail,
  ...extra,
});

/** Why a request or record was refused, by problem status, where no Rejection says (bounded: a metric label). */
const REASON_OF: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
  503: 'unavailable',
};

/**
 * Why a write was refused, for counting (ledger_commands_rejected_total): the kind of a Rejection,
 * else a name for the problem's status (`internal` for a 5xx the ledger could not handle).
 */
export function refusalReason(error: unknown, status: number): string {
  if (error instanceof Rejection) return error.kind;
  return REASON_OF[status] ?? (status >= 500 ? 'internal' : `status-${Math.floor(status / 100)}xx`);
}

export function sendProblem(res: Response, p: Problem): void {
  // For the metrics (runtime's metrics.ts): the handler below says the Rejection's kind first.
  res.locals.refusal ??= refusalReason(undefined, p.status);
  // For the refusals journal (runtime's refusals.ts): what the caller was told.
  res.locals.problem = p;
  res.status(p.status).type('application/problem+json').json(p);
}

/**
 * Field errors with dotted paths (`commands.2.body.value`), under an optional prefix. An unknown
 * field is named by its own path, one error each.
 */
export function fieldErrors(error: ZodError, prefix?: string): FieldError[] {
  const join = (parts: readonly PropertyKey[]) =>
    [prefix, ...parts.map(String)].filter((p) => p !== undefined && p !== '').join('.');
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown field' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

export const invalidInput = (error: ZodError, prefix?: string): Rejection =>
  new Rejection('invalid', 'The request is not valid; see errors.', fieldErrors(error, prefix));

/** Maps anything thrown by a handler to a problem. Unknown errors become a 500 without internals. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Rejection)
    return problem(STATUS_OF[error.kind], error.message, error.errors.length ? { errors: error.errors } : {});
  if (error instanceof ZodError) return toProblem(invalidInput(error));
  if (error instanceof WrongExpectedRevision)
    return problem(409, error.message, { errors: [{ path: 'expectedRevision', message: error.message }] });
  if (error instanceof RecordedAtConflict)
    return problem(409, error.message, { errors: [{ path: 'recordedAt', message: error.message }] });
  if (error instanceof DuplicateEventId) return problem(409, error.message);
  // Express's body parser throws http-errors: a 4xx it marks as exposed is the client's (an
  // unsupported charset, say), with its own message.
  const e = error as { type?: string; status?: number; expose?: boolean; message?: string };
  if (e?.type === 'entity.parse.failed') return problem(400, `The body is not valid JSON: ${e.message}`);
  if (e?.type === 'entity.too.large') return problem(413, 'The body is too large.');
  if (e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return problem(e.status, e.message ?? 'The request was refused.');
  return problem(500, 'The ledger could not handle this request; see the server log for the request id.');
}

/** The realm of the ledger's Bearer challenges (RFC 6750). */
export const REALM = 'indicator-ledger';

export const problemHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const p = toProblem(error);
  res.locals.refusal = refusalReason(error, p.status);
  if (p.status >= 500) req.log?.error({ err: error }, 'request failed');
  else if (p.status === 401 || p.status === 403)
    // Never the credential: only who it was, if anyone, and what was refused.
    req.log?.warn(
      { principal: req.principal?.id, problem: { status: p.status, detail: p.detail } },
      'access denied',
    );
  else req.log?.info({ problem: { status: p.status, detail: p.detail } }, 'request refused');
  if (p.status === 401)
    res.setHeader(
      'WWW-Authenticate',
      req.get('authorization') ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`,
    );
  if (p.status === 403)
    res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope"`);
  sendProblem(res, { ...p, instance: req.originalUrl });
};
