/**
 * OIDC access tokens: JWTs in the RFC 9068 profile, signed by an identity provider the ledger
 * trusts, verified with `jose` against the provider's published keys (JWKS).
 */
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface OidcVerifierOptions {
  /**
   * The issuer identifier, exactly as the provider states it in its discovery document and in
   * `iss` (e.g. `https://id.example.gov.vn/realms/ledger`). Must be https, or http on a loopback
   * address (tests).
   */
  readonly issuer: string;
  /** The ledger API's resource identifier; a token must carry it in `aud` (e.g. `https://ledger.example.gov.vn`). */
  readonly audience: string;
  /**
   * Signature algorithms accepted; default ES256, RS256, PS256, EdDSA. Only asymmetric ones are
   * allowed: with a symmetric one, whoever verifies could also sign.
   */
  readonly algorithms?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat` against clock skew between hosts; default 30 s. */
  readonly clockToleranceSeconds?: number;
  /** Timeout of each fetch of the discovery document and of the JWKS; default 5000 ms. */
  readonly fetchTimeoutMs?: number;
  /** The clock, epoch ms; default Date.now. Tests inject it. */
  readonly now?: () => number;
}

/** Why a token was refused. For the server's log; the HTTP answer is the same 401 for all. */
export type OidcRefusal =
  | 'malformed'
  | 'algorithm not allowed'
  | 'unknown key'
  | 'bad signature'
  | 'wrong type'
  | 'wrong issuer'
  | 'wrong audience'
  | 'expired'
  | 'not yet valid'
  | 'no subject'
  | 'invalid claims'
  | 'issuer unavailable';

export type OidcVerification =
  | {
      readonly ok: true;
      /** With `subject`, the identity to map to a principal: a subject is only unique within its issuer. */
      readonly issuer: string;
      /** `sub`, or `client_id` for a client-credentials token without `sub`. */
      readonly subject: string;
      readonly clientId?: string;
      /** `exp`, epoch ms: a caller may cache the identity until then, not longer. */
      readonly expiresAt: number;
    }
  | { readonly ok: false; readonly reason: OidcRefusal; readonly detail?: string };

export interface OidcVerifier {
  readonly issuer: string;
  readonly audience: string;
  /** Who a bearer token is. Never throws: a refusal, a provider that cannot be reached included, is `ok: false`. */
  verify(token: string): Promise<OidcVerification>;
}

export const DEFAULT_ALGORITHMS: readonly string[] = ['ES256', 'RS256', 'PS256', 'EdDSA'];

/** RFC 9068 §4: `at+jwt`; jose compares it case-insensitively and ignores an `application/` prefix. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

const SYMMETRIC_OR_NONE = /^(HS\d+|none)$/i;

/**
 * A verifier of the access tokens one issuer gives out for one audience. It checks what RFC 9068
 * §4 asks of a resource server: `typ` is `at+jwt`, `iss` is the issuer, `aud` holds the audience,
 * `exp` is present and not past (`nbf` too, if present), and the signature is by one of the
 * issuer's keys with an allowed algorithm.
 *
 * The JWKS address is discovered from `<issuer>/.well-known/openid-configuration` on first use
 * (not at startup, so the ledger starts while the provider is down); a failed discovery is tried
 * again at the next token. jose's remote JWKS caches the keys, and fetches them again when a token
 * names a key it does not know (the provider rotated keys), at most once per 30 s.
 *
 * It reads only `iss`, `sub`, `client_id` and `exp` from the claims: roles, scopes or groups in a
 * token are the provider's opinion, and what a principal may do is decided in the ledger's domain.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const { issuer, audience } = options;
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5000;
  const now = options.now ?? Date.now;
  requireSafeUrl('issuer', issuer);
  if (typeof audience !== 'string' || audience === '') throw new TypeError('audience: a non-empty string');
  if (algorithms.length === 0 || algorithms.some((alg) => SYMMETRIC_OR_NONE.test(alg))) {
    throw new TypeError(`algorithms: asymmetric JWS algorithms only, got ${JSON.stringify(algorithms)}`);
  }

  let keys: Promise<JWTVerifyGetKey> | undefined;
  const issuerKeys = (): Promise<JWTVerifyGetKey> => {
    keys ??= discoverJwksUri(issuer, fetchTimeoutMs).then(
      (jwksUri) => createRemoteJWKSet(jwksUri, { timeoutDuration: fetchTimeoutMs }),
      (error: unknown) => {
        keys = undefined;
        throw error;
      },
    );
    return keys;
  };

  return {
    issuer,
    audience,
    async verify(token) {
      if (typeof token !== 'string' || token === '') return { ok: false, reason: 'malformed' };
      let jwks: JWTVerifyGetKey;
      try {
        jwks = await issuerKeys();
      } catch (error) {
        return { ok: false, reason: 'issuer unavailable', detail: (error as Error).message };
      }
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience,
          algorithms,
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance,
          currentDate: new Date(now()),
          requiredClaims: ['exp'],
        });
        const { sub, client_id: clientId, exp } = payload;
        if (sub !== undefined && (typeof sub !== 'string' || sub === '')) {
          return { ok: false, reason: 'invalid claims', detail: 'sub is not a non-empty string' };
        }
        if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
          return { ok: false, reason: 'invalid claims', detail: 'client_id is not a non-empty string' };
        }
        const subject = sub ?? clientId;
        if (subject === undefined) return { ok: false, reason: 'no subject' };
        return {
          ok: true,
          issuer,
          subject,
          ...(clientId === undefined ? {} : { clientId }),
          expiresAt: (exp as number) * 1000,
        };
      } catch (error) {
        return refusalOf(error);
      }
    },
  };
}

function refusalOf(error: unknown): OidcVerification {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail };
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = CLAIM_REFUSALS[error.claim] ?? 'invalid claims';
    return { ok: false, reason, detail };
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return { ok: false, reason: 'algorithm not allowed', detail };
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return { ok: false, reason: 'bad signature', detail };
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return { ok: false, reason: 'unknown key', detail };
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return { ok: false, reason: 'malformed', detail };
  }
  // Fetching the JWKS failed: timeout, connection refused, a non-200 answer, not a key set.
  return { ok: false, reason: 'issuer unavailable', detail };
}

const CLAIM_REFUSALS: Partial<Record<string, OidcRefusal>> = {
  typ: 'wrong type',
  iss: 'wrong issuer',
  aud: 'wrong audience',
  nbf: 'not yet valid',
  exp: 'invalid claims',
};

/** OpenID Connect Discovery 1.0 §4: the document's `issuer` must be the one asked for (§4.3). */
async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) {
    throw new Error(`${url}: the document is for issuer ${JSON.stringify(document.issuer)}, not ${issuer}`);
  }
  if (typeof document.jwks_uri !== 'string') throw new Error(`${url}: no jwks_uri`);
  return requireSafeUrl('jwks_uri', document.jwks_uri);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Keys fetched over plain http could be anyone's: https, or http to this host only. */
function requireSafeUrl(name: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${name}: ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new TypeError(`${name}: ${text} must be https (or http on a loopback address)`);
}
