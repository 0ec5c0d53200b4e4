import { API_KEY_PREFIX } from './api-key.ts';

/** What an Authorization header carries, before anything is verified. */
export type Bearer =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'jwt'; readonly token: string };

/** Longer credentials are refused unread: real access tokens are a few KiB at most. */
export const MAX_CREDENTIAL_LENGTH = 8192;

const SCHEME = 'Bearer ';
/** RFC 6750 §2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Sorts an Authorization header into the two kinds of credential the ledger accepts, so that each
 * goes to its own verifier: a credential starting with `ilk_` is an API key (verifyApiKey), three
 * dot-separated base64url parts are a JWT (an OIDC verifier). No header is 'none' (an anonymous
 * read, if the route allows it); anything else, other schemes included, is 'malformed'.
 */
export function readBearer(authorizationHeader: string | undefined): Bearer {
  if (authorizationHeader === undefined) return { kind: 'none' };
  if (
    typeof authorizationHeader !== 'string' ||
    authorizationHeader.length > SCHEME.length + MAX_CREDENTIAL_LENGTH
  ) {
    return { kind: 'malformed' };
  }
  const credential = BEARER.exec(authorizationHeader)?.[1];
  if (credential === undefined) return { kind: 'malformed' };
  if (credential.startsWith(API_KEY_PREFIX)) return { kind: 'api-key', key: credential };
  if (JWS_COMPACT.test(credential)) return { kind: 'jwt', token: credential };
  return { kind: 'malformed' };
}
