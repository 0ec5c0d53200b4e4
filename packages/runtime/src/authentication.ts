import { dirname, join } from 'node:path';
import {
  createOidcVerifier,
  keyDigest,
  loadOrCreateServerSecret,
  newApiKey,
  type OidcVerifier,
  parseApiKey,
  readBearer,
  verifyApiKey,
} from '@ledger/access';
import {
  type AuthMethod,
  identityKey,
  type LedgerIndex,
  type PrincipalState,
  principalOf,
  type WriteState,
} from '@ledger/domain';
import type { CredentialStore } from '@ledger/event-store';
import { getSQLiteCredentials } from '@ledger/event-store-sqlite';

/** What a module's state says about principals: the access events it folds, as of now. */
export interface AccessSource {
  principal(principalId: string): PrincipalState | undefined;
  /** The principal an API key was issued to, per the log. */
  keyOwner(keyId: string): string | undefined;
  /** The principal an OIDC identity (identityKey) is bound to. */
  identity(key: string): string | undefined;
  /**
   * Brings the source level with the log before a credential is judged, so that a key revoked or a
   * grant given by another process (the CLI, another ingestion) counts at once.
   */
  refresh?(): Promise<void>;
}

export interface Authenticated {
  readonly id: string;
  readonly auth: AuthMethod;
}

/**
 * Who a request's credential is. Answers undefined for a request without one, a principal for a
 * valid one, or a refusal whose reason goes to the server's log only (every refusal is the same 401).
 */
export interface Authenticator {
  authenticate(
    authorization: string | undefined,
    access: AccessSource,
  ): Promise<Authenticated | { readonly refused: string } | undefined>;
  /** Where API keys are issued and revoked, if this deployment issues them. */
  readonly keys?: KeyIssuer;
  /** Closes the credential store. */
  close(): void;
}

/** Makes API keys: the secret is shown once, its digest kept in the credential store, never in the log. */
export interface KeyIssuer {
  /** A new key id and the key to show once; `store` it after its issue is recorded in the log. */
  make(): { keyId: string; key: string; store(principalId: string, expiresAt: string | null): void };
  revoke(keyId: string): void;
}

export function createAuthenticator(options: {
  /** Ledger-issued API keys: their digests and the server secret they are keyed with. */
  readonly apiKeys?: { readonly store: CredentialStore; readonly secret: Uint8Array };
  readonly oidc?: OidcVerifier;
  /** The clock, epoch ms (tests inject it). */
  readonly now?: () => number;
}): Authenticator {
  const now = options.now ?? Date.now;
  const { apiKeys, oidc } = options;

  const byKey = (key: string, access: AccessSource): Authenticated | { refused: string } => {
    if (!apiKeys) return { refused: 'this deployment issues no API keys' };
    const verified = verifyApiKey(apiKeys.store, apiKeys.secret, key, now());
    if (!verified.ok) return { refused: `api key ${verified.reason}` };
    // The log decides too: the key was issued to this principal, and is neither revoked nor expired there.
    const owner = access.keyOwner(verified.keyId);
    const record = owner ? access.principal(owner)?.keys.find((k) => k.keyId === verified.keyId) : undefined;
    if (owner !== verified.principalId || !record) return { refused: 'api key not issued in the log' };
    if (record.revoked) return { refused: 'api key revoked in the log' };
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now())
      return { refused: 'api key expired' };
    return { id: owner, auth: { method: 'api-key', keyId: verified.keyId } };
  };

  const byToken = async (
    token: string,
    access: AccessSource,
  ): Promise<Authenticated | { refused: string }> => {
    if (!oidc) return { refused: 'this deployment takes no OIDC tokens' };
    const verified = await oidc.verify(token);
    if (!verified.ok) return { refused: `token ${verified.reason}` };
    const principalId = access.identity(identityKey({ issuer: verified.issuer, subject: verified.subject }));
    if (!principalId) return { refused: 'no principal is bound to this identity' };
    return { id: principalId, auth: { method: 'oidc', issuer: verified.issuer } };
  };

  return {
    authenticate: async (authorization, access) => {
      const bearer = readBearer(authorization);
      if (bearer.kind === 'none') return undefined;
      if (bearer.kind === 'malformed') return { refused: 'malformed Authorization header' };
      return bearer.kind === 'api-key' ? byKey(bearer.key, access) : byToken(bearer.token, access);
    },
    close: () => apiKeys?.store.close(),
    ...(apiKeys
      ? {
          keys: {
            make: () => {
              const { keyId, key } = newApiKey();
              const secret = parseApiKey(key)?.secret as string;
              return {
                keyId,
                key,
                store: (principalId, expiresAt) =>
                  apiKeys.store.put({
                    keyId,
                    principalId,
                    digest: keyDigest(apiKeys.secret, secret),
                    expiresAt,
                    issuedAt: new Date(now()).toISOString(),
                  }),
              };
            },
            revoke: (keyId) => void apiKeys.store.revoke(keyId, new Date(now()).toISOString()),
          },
        }
      : {}),
  };
}

/** The access source of a module that folds the log into an as-of index (projection, scoring). */
export const indexAccess = (index: () => LedgerIndex, refresh?: () => Promise<void>): AccessSource => ({
  principal: (id) => principalOf(index(), id),
  keyOwner: (keyId) => index().keyOwners.get(keyId),
  identity: (key) => index().identities.get(key),
  ...(refresh ? { refresh } : {}),
});

/** The access source of the write model (ingestion). */
export const writeStateAccess = (state: () => WriteState, refresh?: () => Promise<void>): AccessSource => ({
  principal: (id) => state().principals.get(id),
  keyOwner: (keyId) => state().keyOwners.get(keyId),
  identity: (key) => state().identities.get(key),
  ...(refresh ? { refresh } : {}),
});

/**
 * The authenticator the access settings describe: API keys when a credential store is given, OIDC
 * tokens when an issuer is; undefined with LEDGER_AUTH=off (logged loudly by the caller).
 */
export function openAuthenticator(settings: {
  readonly LEDGER_AUTH: boolean;
  readonly LEDGER_OIDC_ISSUER?: string | undefined;
  readonly LEDGER_OIDC_AUDIENCE?: string | undefined;
  readonly LEDGER_CREDENTIALS?: string | undefined;
  readonly LEDGER_KEY_SECRET_FILE?: string | undefined;
}): Authenticator | undefined {
  if (!settings.LEDGER_AUTH) return undefined;
  const credentials = settings.LEDGER_CREDENTIALS;
  const apiKeys = credentials
    ? {
        store: getSQLiteCredentials(credentials),
        secret: loadOrCreateServerSecret(
          settings.LEDGER_KEY_SECRET_FILE ?? join(dirname(credentials), 'key-secret'),
        ),
      }
    : undefined;
  const oidc =
    settings.LEDGER_OIDC_ISSUER && settings.LEDGER_OIDC_AUDIENCE
      ? createOidcVerifier({ issuer: settings.LEDGER_OIDC_ISSUER, audience: settings.LEDGER_OIDC_AUDIENCE })
      : undefined;
  return createAuthenticator({ ...(apiKeys ? { apiKeys } : {}), ...(oidc ? { oidc } : {}) });
}
