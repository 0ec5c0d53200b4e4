import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateServerSecret, verifyApiKey } from '@ledger/access';
import { getSQLiteCredentials, getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let dir: string;

/** Runs `pnpm ledger …` as its own process on the test's data directory. */
const ledger = (...args: string[]) => runCli(dir, ...args);

interface GrantRow {
  principalId: string;
  role: string;
  grantId: string;
  reason: string | null;
}

const grants = async (...args: string[]) => {
  const run = await ledger('access', 'grants', '--json', ...args);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { position: number; day: string; grants: GrantRow[] };
};

/** What the server's authenticator would say of a key now, from the same credential store and secret. */
function verify(key: string) {
  const store = getSQLiteCredentials(join(dir, 'credentials.sqlite'));
  try {
    return verifyApiKey(store, loadOrCreateServerSecret(join(dir, 'key-secret')), key, Date.now());
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-cli-access-'));
  const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
  await store.head();
  await store.close();
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ledger access', () => {
  let grantId: string;

  it('bootstraps the owner once, writing its key to admin.key with mode 0600', async () => {
    const first = await ledger('access', 'bootstrap');
    expect(first.code, first.stderr).toBe(0);
    const keyFile = join(dir, 'admin.key');
    expect(first.stdout).toContain(keyFile);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(first.stdout).not.toContain(key);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(verify(key)).toMatchObject({ ok: true, principalId: 'svc:owner' });

    const second = await ledger('access', 'bootstrap');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/has an owner/);
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(key);
  });

  it('registers a principal and grants it a role, listed in the grants in force', async () => {
    // Sealed, so that what follows is recorded at the clock: on an open ledger access writes are
    // recorded at the latest recordedAt, before any history that may still be imported.
    const sealed = await ledger('seal', '--reason', 'history imported');
    expect(sealed.code, sealed.stderr).toBe(0);
    const added = await ledger('access', 'add-principal', 'user:an', 'Nguyễn Văn An');
    expect(added.code, added.stderr).toBe(0);
    const granted = await ledger(
      'access',
      'grant',
      'user:an',
      'auditor',
      '--reason',
      'quarterly audit',
      '--json',
    );
    expect(granted.code, granted.stderr).toBe(0);
    grantId = (JSON.parse(granted.stdout) as { grantId: string }).grantId;

    expect((await grants()).grants).toContainEqual(
      expect.objectContaining({
        principalId: 'user:an',
        role: 'auditor',
        grantId,
        reason: 'quarterly audit',
      }),
    );
    const principals = await ledger('access', 'principals', '--json');
    expect(JSON.parse(principals.stdout)).toContainEqual({
      principalId: 'user:an',
      name: 'Nguyễn Văn An',
      roles: ['auditor'],
    });
  });

  it('lists, as of a date before the grant, only what was granted by then', async () => {
    const before = await grants('--as-of', '2020-01-01');
    expect(before.grants.map((g) => g.grantId)).not.toContain(grantId);
    // The owner was recorded before any history, so its grants were in force then.
    expect(before.grants.filter((g) => g.principalId === 'svc:owner')).toHaveLength(9);
    expect((await grants('--principal', 'user:an')).grants.map((g) => g.grantId)).toEqual([grantId]);
  });

  it('no longer lists a revoked grant', async () => {
    const revoked = await ledger('access', 'revoke-grant', grantId, '--reason', 'audit done');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await grants('--principal', 'user:an')).grants).toEqual([]);

    const again = await ledger('access', 'revoke-grant', grantId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^ledger: refused \(409\): .*already revoked/);
  });

  it('issues a key to a file that verifies, and revokes it', async () => {
    const keyFile = join(dir, 'an.key');
    const issued = await ledger('access', 'issue-key', 'user:an', '--key-file', keyFile);
    expect(issued.code, issued.stderr).toBe(0);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(key.startsWith('ilk_')).toBe(true);
    expect(issued.stdout).not.toContain(key);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const verified = verify(key);
    expect(verified).toMatchObject({ ok: true, principalId: 'user:an' });

    const keyId = (verified as { keyId: string }).keyId;
    const revoked = await ledger('access', 'revoke-key', keyId, '--reason', 'rotated');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(verify(key)).toEqual({ ok: false, reason: 'revoked' });

    const overwrite = await ledger('access', 'issue-key', 'user:an', '--key-file', keyFile);
    expect(overwrite.code).toBe(2);
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(key);
  });

  it('prints a key without --key-file on stdout, and refuses a key for an unknown principal', async () => {
    const issued = await ledger('access', 'issue-key', 'user:an', '--expires-at', '2099-12-31');
    expect(issued.code, issued.stderr).toBe(0);
    expect(verify(issued.stdout.trim())).toMatchObject({ ok: true, principalId: 'user:an' });

    const unknown = await ledger('access', 'issue-key', 'user:nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ledger: refused \(422\): principalId: unknown principal/);
  });
});
