import type { CredentialStore } from '@ledger/event-store';
import { DIGEST_BYTES, digestsEqual, keyDigest, parseApiKey } from './api-key.ts';

/**
 * Why a key was refused. For the server's log: the HTTP answer should be the same 401 for all of
 * them, so that a caller learns nothing about which keys exist.
 */
export type ApiKeyRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'mismatch';

export type ApiKeyVerification =
  | { readonly ok: true; readonly keyId: string; readonly principalId: string }
  | { readonly ok: false; readonly reason: ApiKeyRefusal };

/** Compared against when the key id is unknown, so that an unknown id costs what a known one does. */
const NO_DIGEST = new Uint8Array(DIGEST_BYTES);

/**
 * Who a presented API key belongs to. `now` is epoch milliseconds (passed in, so that tests and
 * replays decide the time); a key whose expiresAt is at or before it is expired.
 *
 * The digest is always computed and compared, in constant time, even for an unknown key id, so
 * timing does not tell a guessed secret apart from a guessed id. Revocation and expiry are only
 * reported to a caller holding the right secret: anyone else gets 'mismatch' (or 'unknown').
 */
export function verifyApiKey(
  store: CredentialStore,
  serverSecret: Uint8Array,
  presented: string,
  now: number,
): ApiKeyVerification {
  const parsed = parseApiKey(presented);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const digest = keyDigest(serverSecret, parsed.secret);
  const record = store.get(parsed.keyId);
  const matches = digestsEqual(digest, record?.digest ?? NO_DIGEST);
  if (!record) return { ok: false, reason: 'unknown' };
  if (!matches) return { ok: false, reason: 'mismatch' };
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now)
    return { ok: false, reason: 'expired' };
  return { ok: true, keyId: record.keyId, principalId: record.principalId };
}
