/**
 * API keys the ledger issues to machines: `ilk_<keyId>_<secret>`.
 *
 * - `ilk_` is a fixed, recognisable prefix, so that secret scanners (GitHub's, gitleaks, a grep in
 *   CI) can spot a key that leaked into a repository or a log.
 * - `keyId`: 8 random bytes as 16 lowercase hex digits. It names the key in the credential store
 *   and in logs; it is not secret.
 * - `secret`: 32 random bytes (256 bits) as 64 lowercase hex digits. Hex rather than base64url
 *   because base64url uses `_`, the separator; with hex the key is one "word" that a double-click
 *   selects whole, and has exactly one spelling, so parsing can be strict.
 *
 * The whole key is 85 ASCII characters. Only a digest of the secret is stored (keyDigest).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix every API key starts with. */
export const API_KEY_PREFIX = 'ilk_';

/** Random bytes in a key id (16 hex digits): unique among the keys a ledger issues, and short in logs. */
export const KEY_ID_BYTES = 8;

/** Random bytes in a key's secret (64 hex digits): 256 bits, beyond guessing, so a fast digest suffices. */
export const SECRET_BYTES = 32;

/** Bytes of a key digest (HMAC-SHA256). */
export const DIGEST_BYTES = 32;

const KEY_ID = new RegExp(`^[0-9a-f]{${KEY_ID_BYTES * 2}}$`);
const API_KEY = new RegExp(
  `^${API_KEY_PREFIX}([0-9a-f]{${KEY_ID_BYTES * 2}})_([0-9a-f]{${SECRET_BYTES * 2}})$`,
);

/** A new API key. `key` is shown to its holder once; the ledger keeps only `keyId` and keyDigest of its secret. */
export function newApiKey(): { keyId: string; key: string } {
  const keyId = randomBytes(KEY_ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('hex');
  return { keyId, key: `${API_KEY_PREFIX}${keyId}_${secret}` };
}

/**
 * Splits a presented key into its id and secret, or undefined unless it is exactly
 * `ilk_` + 16 lowercase hex digits + `_` + 64 lowercase hex digits. Strict, so that one key has one
 * spelling and anything else is refused before the store is consulted.
 */
export function parseApiKey(text: string): { keyId: string; secret: string } | undefined {
  if (typeof text !== 'string') return undefined;
  const match = API_KEY.exec(text);
  if (!match) return undefined;
  return { keyId: match[1] as string, secret: match[2] as string };
}

/** Whether `text` has the form of a key id, so that stores refuse anything else. */
export function isKeyId(text: unknown): text is string {
  return typeof text === 'string' && KEY_ID.test(text);
}

/**
 * What the credential store keeps of a secret: HMAC-SHA256 keyed with the server secret. The
 * secret is random and 256 bits long, so a slow password hash would add nothing; the server secret
 * means a copy of the store alone is not even enough to test a candidate key against it.
 */
export function keyDigest(serverSecret: Uint8Array, secret: string): Buffer {
  return createHmac('sha256', serverSecret).update(secret, 'utf8').digest();
}

/**
 * Compares two digests in constant time, so that response times do not reveal how many leading
 * bytes of a guess were right. Digests of different lengths are unequal (timingSafeEqual would throw).
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
