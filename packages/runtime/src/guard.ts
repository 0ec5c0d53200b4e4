import { type Action, authorizeAction, invalid, ledgerDay, Rejection } from '@ledger/domain';
import type { Logger } from '@ledger/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AccessSource, Authenticator } from './authentication.ts';

/**
 * Which routes are actions rather than commands (authorize.ts, ACTIONS): who may call what over
 * HTTP, in one place. Every other POST is a write, authorised command by command by ingestion;
 * every other GET is a read, public unless LEDGER_READS=authenticated.
 */
const ROUTE_ACTIONS: readonly { method: string; path: RegExp; action: Action }[] = [
  { method: 'POST', path: /^\/v1\/ops\/projections\/[^/]+\/rebuild$/, action: 'rebuild' },
  { method: 'POST', path: /^\/v1\/ops\/log\/checkpoint$/, action: 'checkpoint' },
  { method: 'POST', path: /^\/v1\/ops\/log\/key-rotation$/, action: 'key-rotation' },
  { method: 'POST', path: /^\/v1\/ops\/seal$/, action: 'seal' },
  { method: 'POST', path: /^\/v1\/ops\/verify-replay$/, action: 'verify-replay' },
  { method: 'GET', path: /^\/v1\/ops\//, action: 'ops-read' },
  { method: 'GET', path: /^\/v1\/access\//, action: 'access-read' },
];

/**
 * Always open: a supervisor's probes carry no credential, nor does a Prometheus scrape (`/metrics`:
 * counts and lags, no ledger data; docs/operations.md, "Metrics", says to firewall it).
 */
const OPEN = new Set(['/healthz', '/readyz', '/metrics']);

/** The principal of a process that runs with LEDGER_AUTH=off. */
export const DEVELOPMENT_PRINCIPAL = 'svc:development';

export interface GuardOptions {
  /** Undefined: LEDGER_AUTH=off, every request acts as DEVELOPMENT_PRINCIPAL, recorded with auth method none. */
  readonly authenticator: Authenticator | undefined;
  /** Whether reads need a credential too. */
  readonly reads: 'public' | 'authenticated';
  /** The principals as a mounted module has them (undefined until one provides them). */
  readonly access: () => AccessSource | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
}

const NO_ACCESS: AccessSource = {
  principal: () => undefined,
  keyOwner: () => undefined,
  identity: () => undefined,
};

/** Authenticates every request and authorises the actions; commands are authorised where they are decided. */
export function guard(options: GuardOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const unauthenticated = (why: string) => new Rejection('unauthenticated', why);

  const check = async (req: Request): Promise<void> => {
    if (OPEN.has(req.path)) return;
    if (req.get('x-actor') !== undefined)
      throw invalid(
        'X-Actor',
        'is not taken: the actor of a write is the principal its credential authenticates',
      );
    const access = options.access() ?? NO_ACCESS;
    const authorization = req.get('authorization');
    if (!options.authenticator) req.principal = { id: DEVELOPMENT_PRINCIPAL, auth: { method: 'none' } };
    else {
      if (authorization !== undefined) await access.refresh?.();
      const who = await options.authenticator.authenticate(authorization, access);
      if (who && 'refused' in who) {
        (req.log ?? options.logger).warn({ reason: who.refused, path: req.path }, 'credential refused');
        throw unauthenticated('The credential is not valid: present a valid API key or access token.');
      }
      if (who) req.principal = who;
    }
    const action = ROUTE_ACTIONS.find((r) => r.method === req.method && r.path.test(req.path))?.action;
    const reading = req.method === 'GET' || req.method === 'HEAD';
    const needsPrincipal = action !== undefined || !reading || options.reads === 'authenticated';
    if (needsPrincipal && !req.principal)
      throw unauthenticated('This needs a credential: Authorization: Bearer <API key or access token>.');
    if (action && req.principal && req.principal.auth.method !== 'none')
      authorizeAction(access.principal(req.principal.id), action, ledgerDay(now()));
  };

  return (req: Request, _res: Response, next: NextFunction) => {
    check(req).then(() => next(), next);
  };
}
