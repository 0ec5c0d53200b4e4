import { randomUUID } from 'node:crypto';
import { type AuthMethod, invalid, tooDeep } from '@ledger/domain';
import express, { type Express as App, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger.ts';
import { problem, problemHandler, sendProblem } from './problem.ts';

declare global {
  namespace Express {
    interface Request {
      /** X-Request-Id, given or made; also returned on the response. */
      requestId: string;
      /** X-Correlation-Id, given or else the request id; carried into every event written. */
      correlationId: string;
      /** The principal the request's credential authenticates, if it presented a valid one. */
      principal?: { readonly id: string; readonly auth: AuthMethod };
    }
  }
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const headerId = (value: string | undefined) => (value && ID.test(value) ? value : undefined);

const ids: RequestHandler = (req, res, next) => {
  req.requestId = headerId(req.get('x-request-id')) ?? randomUUID();
  req.correlationId = headerId(req.get('x-correlation-id')) ?? req.requestId;
  res.setHeader('X-Request-Id', req.requestId);
  res.setHeader('X-Correlation-Id', req.correlationId);
  next();
};

/** A request log line's fields, with `principal` if the request's credential authenticated one. */
const withPrincipal = (req: unknown, value: object): object => {
  const principal = (req as express.Request).principal?.id;
  return principal === undefined ? value : { ...value, principal };
};

/**
 * An express app with request ids, structured request logs and JSON bodies. Mount routers, then call
 * finish. `first` runs before anything else: what times whole requests (the metrics).
 */
export function createHttpApp(logger: Logger, options: { readonly first?: RequestHandler } = {}): App {
  const app = express();
  if (options.first) app.use(options.first);
  app.disable('x-powered-by');
  // Express hashes every response body for a weak ETag that no client of this API relies on; the
  // hash, and the Buffer copy it needs (headers and body then go out in two writes), cost a small
  // response ~25 µs of CPU (docs/benchmarks.md, "Measured choices").
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(ids);
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => (req as express.Request).requestId,
      customProps: (req) => ({ correlationId: (req as express.Request).correlationId }),
      // The principal is known only once the credential was checked, after these bindings were made:
      // it goes in the "request completed" line itself (a binding added then would repeat the keys).
      customSuccessObject: (req, _res, value) => withPrincipal(req, value),
      customErrorObject: (req, _res, _error, value) => withPrincipal(req, value),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
      },
    }),
  );
  app.use((req, res, next) => {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (hasBody && !req.is('json'))
      return sendProblem(res, problem(415, 'Send the body as application/json.'));
    next();
  });
  app.use(express.json({ limit: '10mb', strict: true }));
  app.use(door);
  return app;
}

/**
 * What no write takes: a body nested deeper than 64 levels (nothing recursive walks it), and a
 * query (a write's fields are in its body: `?recordedAt=` must not be silently ignored).
 */
const door: RequestHandler = (req, _res, next) => {
  const deep = tooDeep(req.body);
  if (deep) return next(invalid(deep.path, deep.message));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const name = Object.keys(req.query)[0];
    if (name !== undefined) return next(invalid(name, 'unknown query parameter; a write takes none'));
  }
  next();
};

/** Adds the not-found and error handlers; call after mounting every router. */
export function finishHttpApp(app: App): App {
  app.use((req, res) => sendProblem(res, problem(404, `No resource at ${req.method} ${req.path}`)));
  app.use(problemHandler);
  return app;
}
