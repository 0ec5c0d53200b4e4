/**
 * The store of API-key digests, beside the log and never in it: a digest is no fact (the log is
 * public and permanent) and is never served. Adapters keep it on the host (event-store-sqlite).
 */

/** A key id: 16 lowercase hex digits (8 random bytes), as the ledger's API keys carry it. */
export const isCredentialKeyId = (text: unknown): text is string =>
  typeof text === 'string' && /^[0-9a-f]{16}$/.test(text);

/** An API key's digest: HMAC-SHA256 of its secret, 32 bytes. */
export const CREDENTIAL_DIGEST_BYTES = 32;

/** What is stored when a key is issued. */
export interface NewCredential {
  readonly keyId: string;
  /** The principal the key authenticates as; mapping it to permissions is the domain's business. */
  readonly principalId: string;
  /** keyDigest of the key's secret (32 bytes). */
  readonly digest: Uint8Array;
  /** ISO-8601 date-time with an offset, or null for a key that does not expire. */
  readonly expiresAt: string | null;
  /** ISO-8601 date-time with an offset. */
  readonly issuedAt: string;
}

/** A stored key; instants as the ledger records them (ISO-8601, UTC, milliseconds). */
export interface CredentialRecord {
  readonly keyId: string;
  readonly principalId: string;
  readonly digest: Uint8Array;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export interface CredentialStore {
  readonly path: string;
  /**
   * Stores a new key. Throws if the key id is already stored: replacing a row would silently
   * change which secret works, or bring a revoked key back.
   */
  put(credential: NewCredential): void;
  get(keyId: string): CredentialRecord | undefined;
  /**
   * Marks a key revoked at `at` (ISO-8601 with an offset). Idempotent: revoking again keeps the
   * first instant. Returns whether the key exists.
   */
  revoke(keyId: string, at: string): boolean;
  close(): void;
}
