import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';

/**
 * Who may call an operation: anyone (`open`: the probes, the document itself), any reader (`read`:
 * public unless LEDGER_READS=authenticated), or a credential whose grants allow it (`credential`:
 * writes, checked command by command, and the actions of authorize.ts).
 */
export type Access = 'open' | 'read' | 'credential';

export interface ApiResponse {
  readonly description: string;
  /** The JSON body's schema; with `text`, the body is text/plain. */
  readonly schema?: z.ZodType;
  readonly text?: boolean;
}

/**
 * One operation of the HTTP API, described by the zod schemas its handler validates with (params,
 * query, body) and by the schemas of what it answers. Every route a module serves has one: the
 * OpenAPI document is made of them, and a test refuses a route without its operation.
 */
export interface Operation {
  readonly method: 'get' | 'post';
  /** The express path, e.g. `/v1/rankings/:methodologyId/:period`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodType;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** The answers other than problems, by status. */
  readonly responses: Readonly<Record<number, ApiResponse>>;
  /** The problem statuses it may answer, besides those every operation may (400, 401, 403, 500 never). */
  readonly problems?: readonly number[];
}

/** RFC 9457 problem details, as every refusal is written (problem.ts). */
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.looseObject({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'One entry per field refused: its path in the request, and why.' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' });

const PROBLEM_TITLES: Record<number, string> = {
  400: 'The request is malformed or a field is refused',
  401: 'No credential, or one that is not valid',
  403: 'The credential’s grants do not allow this',
  404: 'Not found',
  409: 'A conflict with the ledger’s state (a revision, the seal, an idempotency key)',
  413: 'The body is too large',
  415: 'The body is not JSON',
  422: 'The command cannot be applied (a rule of the domain)',
  429: 'Busy: try again after Retry-After',
  503: 'Not ready: the projection is behind or the service cannot reach what it needs',
};

/** `/a/:b/:c` → `/a/{b}/{c}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const body = (response: ApiResponse) =>
  response.text
    ? { content: { 'text/plain': { schema: z.string() } } }
    : response.schema
      ? { content: { 'application/json': { schema: response.schema } } }
      : {};

function operationObject(op: Operation): ZodOpenApiOperationObject {
  const problems = new Set([
    400,
    ...(op.access === 'open' ? [] : [401]),
    ...(op.access === 'credential' ? [403] : []),
    ...(op.problems ?? []),
  ]);
  const responses: Record<string, object> = {};
  for (const [status, response] of Object.entries(op.responses))
    responses[status] = { description: response.description, ...body(response) };
  for (const status of [...problems].sort())
    responses[String(status)] = {
      description: PROBLEM_TITLES[status] ?? 'A problem',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    operationId: `${op.method}${openApiPath(op.path)
      .replace(/[{}]/g, '')
      .split(/[/.-]/)
      .filter(Boolean)
      .map((w) => w[0]?.toUpperCase() + w.slice(1))
      .join('')}`,
    ...(op.params || op.query || op.headers
      ? {
          requestParams: {
            ...(op.params ? { path: op.params } : {}),
            ...(op.query ? { query: op.query as z.ZodObject } : {}),
            ...(op.headers ? { header: op.headers } : {}),
          },
        }
      : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } }
      : {}),
    security:
      op.access === 'credential' ? [{ bearer: [] }] : op.access === 'read' ? [{}, { bearer: [] }] : [],
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/** The OpenAPI 3.1 document of the operations a process serves. */
export function openApiDocument(operations: readonly Operation[], info: { title: string; version: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operationObject(op) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'The indicator ledger: submissions, corrections and targets in; scores, rankings as of any date, diffs and proofs out. See docs/api.md.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key issued by the ledger (ilk_<16 hex>_<64 hex>), or an OIDC access token of the configured issuer.',
        },
      },
    },
  });
}
