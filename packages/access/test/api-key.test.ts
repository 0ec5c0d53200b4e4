import { describe, expect, it } from 'vitest';
import { API_KEY_PREFIX, digestsEqual, keyDigest, newApiKey, parseApiKey } from '../src/index.ts';

const serverSecret = Buffer.alloc(32, 7);

describe('API key format', () => {
  it('is ilk_ + 16 hex digits of key id + _ + 64 hex digits of secret', () => {
    const { keyId, key } = newApiKey();
    expect(key).toMatch(/^ilk_[0-9a-f]{16}_[0-9a-f]{64}$/);
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key.slice(4, 20)).toBe(keyId);
    expect(key).toHaveLength(85);
  });

  it('gives a new key id and secret each time', () => {
    const keys = Array.from({ length: 100 }, () => newApiKey());
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(100);
    expect(new Set(keys.map((k) => parseApiKey(k.key)?.secret)).size).toBe(100);
  });

  it('parses back into the key id and secret it was made of', () => {
    const { keyId, key } = newApiKey();
    const parsed = parseApiKey(key);
    expect(parsed).toEqual({ keyId, secret: key.slice(21) });
  });
});

describe('parseApiKey refuses near misses', () => {
  const { key } = newApiKey();
  const id = key.slice(4, 20);
  const secret = key.slice(21);
  const nearMisses: [string, string][] = [
    ['empty', ''],
    ['no prefix', `${id}_${secret}`],
    ['another prefix', `ilx_${id}_${secret}`],
    ['upper-case prefix', `ILK_${id}_${secret}`],
    ['key id one digit short', `ilk_${id.slice(1)}_${secret}`],
    ['key id one digit long', `ilk_${id}0_${secret}`],
    ['secret one digit short', `ilk_${id}_${secret.slice(1)}`],
    ['secret one digit long', `ilk_${id}_${secret}0`],
    ['an extra _ in the secret', `ilk_${id}_${secret.slice(0, 32)}_${secret.slice(33)}`],
    ['an extra _ at the end', `${key}_`],
    ['a doubled separator', `ilk_${id}__${secret.slice(1)}`],
    ['upper-case hex', `ilk_${id.toUpperCase()}_${secret.toUpperCase()}`],
    ['a non-hex letter', `ilk_${id}_${secret.slice(0, -1)}g`],
    ['non-ASCII (Vietnamese đ)', `ilk_${id}_${secret.slice(0, -1)}đ`],
    ['a full-width digit', `ilk_${id}_${secret.slice(0, -1)}０`],
    ['leading space', ` ${key}`],
    ['trailing newline', `${key}\n`],
  ];
  it.each(nearMisses)('%s', (_name, text) => {
    expect(parseApiKey(text)).toBeUndefined();
  });

  it('a value that is not a string', () => {
    expect(parseApiKey(42 as unknown as string)).toBeUndefined();
  });
});

describe('key digests', () => {
  it('are HMAC-SHA256 of the secret under the server secret: 32 bytes, deterministic', () => {
    const a = keyDigest(serverSecret, 'ab'.repeat(32));
    expect(a).toHaveLength(32);
    expect(keyDigest(serverSecret, 'ab'.repeat(32)).equals(a)).toBe(true);
    // RFC 4231 test case 2, to pin the construction.
    expect(keyDigest(Buffer.from('Jefe'), 'what do ya want for nothing?').toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('differ with the secret and with the server secret', () => {
    const digest = keyDigest(serverSecret, 'ab'.repeat(32));
    expect(digestsEqual(digest, keyDigest(serverSecret, 'ac'.repeat(32)))).toBe(false);
    expect(digestsEqual(digest, keyDigest(Buffer.alloc(32, 8), 'ab'.repeat(32)))).toBe(false);
  });

  it('compare equal only when equal, and unequal (not throwing) when lengths differ', () => {
    const digest = keyDigest(serverSecret, 'ab'.repeat(32));
    expect(digestsEqual(digest, Buffer.from(digest))).toBe(true);
    const flipped = Buffer.from(digest);
    flipped[31] = (flipped[31] as number) ^ 1;
    expect(digestsEqual(digest, flipped)).toBe(false);
    expect(digestsEqual(digest, digest.subarray(0, 31))).toBe(false);
    expect(digestsEqual(digest, new Uint8Array(0))).toBe(false);
  });
});
