import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialStore } from '@ledger/event-store';
import { getSQLiteCredentials as openCredentialStore } from '@ledger/event-store-sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyDigest, newApiKey, parseApiKey, verifyApiKey } from '../src/index.ts';

const serverSecret = Buffer.alloc(32, 3);
const NOW = Date.parse('2026-12-01T00:00:00.000Z');

let dir: string;
let path: string;
const opened: CredentialStore[] = [];
const open = (file = path) => {
  const store = openCredentialStore(file);
  opened.push(store);
  return store;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'access-store-'));
  path = join(dir, 'credentials.sqlite');
});
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Issues a key the way the ledger would: a new key, its digest stored. */
function issue(store: CredentialStore, principalId: string, expiresAt: string | null = null) {
  const { keyId, key } = newApiKey();
  const { secret } = parseApiKey(key) as { secret: string };
  store.put({
    keyId,
    principalId,
    digest: keyDigest(serverSecret, secret),
    expiresAt,
    issuedAt: '2026-11-01T09:00:00+07:00',
  });
  return { keyId, key };
}

describe('credential store', () => {
  it('stores a key and gives it back, instants in UTC', () => {
    const store = open();
    const { keyId, key } = issue(store, 'principal-1', '2027-01-01T00:00:00+07:00');
    const record = store.get(keyId);
    expect(record).toEqual({
      keyId,
      principalId: 'principal-1',
      digest: new Uint8Array(keyDigest(serverSecret, (parseApiKey(key) as { secret: string }).secret)),
      issuedAt: '2026-11-01T02:00:00.000Z',
      expiresAt: '2026-12-31T17:00:00.000Z',
      revokedAt: null,
    });
  });

  it('knows nothing of a key id it was not given, nor of text that is not a key id', () => {
    const store = open();
    issue(store, 'principal-1');
    expect(store.get(newApiKey().keyId)).toBeUndefined();
    expect(store.get("' OR 1=1 --")).toBeUndefined();
  });

  it('refuses to store a key id twice', () => {
    const store = open();
    const { keyId } = issue(store, 'principal-1');
    const again = {
      keyId,
      principalId: 'p2',
      digest: Buffer.alloc(32),
      expiresAt: null,
      issuedAt: '2026-11-02T00:00:00Z',
    };
    expect(() => store.put(again)).toThrow();
    expect(store.get(keyId)?.principalId).toBe('principal-1');
  });

  it('refuses a malformed key id, digest, principal or instant', () => {
    const store = open();
    const good = {
      keyId: newApiKey().keyId,
      principalId: 'p',
      digest: Buffer.alloc(32),
      expiresAt: null,
      issuedAt: '2026-11-02T00:00:00Z',
    };
    expect(() => store.put({ ...good, keyId: 'ABC' })).toThrow(TypeError);
    expect(() => store.put({ ...good, digest: Buffer.alloc(31) })).toThrow(TypeError);
    expect(() => store.put({ ...good, principalId: '' })).toThrow(TypeError);
    expect(() => store.put({ ...good, issuedAt: '2026-11-02' })).toThrow(TypeError);
    expect(() => store.put({ ...good, expiresAt: 'tomorrow' })).toThrow(TypeError);
    expect(store.get(good.keyId)).toBeUndefined();
  });

  it('revokes idempotently, keeping the first instant, and says whether the key exists', () => {
    const store = open();
    const { keyId } = issue(store, 'principal-1');
    expect(store.revoke(keyId, '2026-11-20T10:00:00Z')).toBe(true);
    expect(store.revoke(keyId, '2026-11-21T10:00:00Z')).toBe(true);
    expect(store.get(keyId)?.revokedAt).toBe('2026-11-20T10:00:00.000Z');
    expect(store.revoke(newApiKey().keyId, '2026-11-20T10:00:00Z')).toBe(false);
  });

  it('creates its file with mode 0600, and its WAL too', () => {
    const store = open();
    issue(store, 'principal-1');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });

  it('refuses an existing file others can read, naming it', () => {
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    expect(() => open()).toThrow(path);
  });

  it('is shared: a second connection to the same file sees the first one’s writes, both ways', () => {
    const first = open();
    const second = open();
    const { keyId, key } = issue(first, 'principal-1');
    expect(second.get(keyId)?.principalId).toBe('principal-1');
    expect(verifyApiKey(second, serverSecret, key, NOW)).toEqual({
      ok: true,
      keyId,
      principalId: 'principal-1',
    });
    expect(second.revoke(keyId, '2026-11-20T10:00:00Z')).toBe(true);
    expect(verifyApiKey(first, serverSecret, key, NOW)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('keeps its keys across close and reopen', () => {
    const store = open();
    const { keyId } = issue(store, 'principal-1');
    store.close();
    expect(open().get(keyId)?.principalId).toBe('principal-1');
  });
});

describe('verifyApiKey', () => {
  it('accepts a stored key and says whose it is', () => {
    const store = open();
    const { keyId, key } = issue(store, 'principal-1', '2027-01-01T00:00:00Z');
    expect(verifyApiKey(store, serverSecret, key, NOW)).toEqual({
      ok: true,
      keyId,
      principalId: 'principal-1',
    });
  });

  it('refuses text that is not a key as malformed', () => {
    const store = open();
    const { key } = issue(store, 'principal-1');
    expect(verifyApiKey(store, serverSecret, `${key}x`, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyApiKey(store, serverSecret, '', NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a well-formed key it never issued as unknown', () => {
    const store = open();
    issue(store, 'principal-1');
    expect(verifyApiKey(store, serverSecret, newApiKey().key, NOW)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a known key id with another secret as a mismatch', () => {
    const store = open();
    const { keyId } = issue(store, 'principal-1');
    const forged = `ilk_${keyId}_${'0'.repeat(64)}`;
    expect(verifyApiKey(store, serverSecret, forged, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses the right key checked under another server secret as a mismatch', () => {
    const store = open();
    const { key } = issue(store, 'principal-1');
    expect(verifyApiKey(store, Buffer.alloc(32, 4), key, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a revoked key as revoked', () => {
    const store = open();
    const { keyId, key } = issue(store, 'principal-1');
    store.revoke(keyId, '2026-11-20T10:00:00Z');
    expect(verifyApiKey(store, serverSecret, key, NOW)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('refuses an expired key as expired, from its expiry instant on', () => {
    const store = open();
    const { key } = issue(store, 'principal-1', '2026-12-01T00:00:00Z');
    expect(verifyApiKey(store, serverSecret, key, NOW - 1).ok).toBe(true);
    expect(verifyApiKey(store, serverSecret, key, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyApiKey(store, serverSecret, key, NOW + 86_400_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('tells a wrong secret for a revoked or expired key only that it is a mismatch', () => {
    const store = open();
    const revoked = issue(store, 'principal-1');
    store.revoke(revoked.keyId, '2026-11-20T10:00:00Z');
    const expired = issue(store, 'principal-2', '2026-11-01T00:00:00Z');
    for (const { keyId } of [revoked, expired]) {
      expect(verifyApiKey(store, serverSecret, `ilk_${keyId}_${'f'.repeat(64)}`, NOW)).toEqual({
        ok: false,
        reason: 'mismatch',
      });
    }
  });
});
