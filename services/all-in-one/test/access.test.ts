import { ROLES, type Role } from '@ledger/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcProviderHarness, startOidcProvider } from '../../../packages/access/test/oidc-harness.ts';
import { SEED, submission } from './seed.ts';
import { ledgerCli, logOf, type Reply, startTestLedger, type TestLedger } from './support.ts';

/**
 * Identity and access: every write and ops action by an authenticated principal, within grants the
 * ledger's state holds (never the request), and the principal is the actor on each event.
 */

const NONE = { authorization: '' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Caller {
  readonly id: string;
  readonly key: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

/** Registers a principal with grants, as the owner, and issues it a key. */
async function principal(
  ledger: TestLedger,
  id: string,
  grants: readonly { role: Role; unitId?: string; validFrom?: string; validTo?: string }[],
  key: { expiresAt?: string } = {},
): Promise<Caller> {
  const registered = await ledger.post('/v1/access/principals', { id, name: `Người dùng ${id}` });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  for (const grant of grants) {
    const given = await ledger.post('/v1/access/grants', { principalId: id, ...grant });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
  }
  const issued = await ledger.post(`/v1/access/principals/${id}/keys`, key);
  expect(issued.status, JSON.stringify(issued.body)).toBe(201);
  expect(issued.body.key).toMatch(/^ilk_[0-9a-f]{16}_[0-9a-f]{64}$/);
  return {
    id,
    key: issued.body.key,
    call: (method, path, body, headers = {}) =>
      ledger.call(method, path, body, { ...bearer(issued.body.key), ...headers }),
  };
}

/** A submission of 747's on-time rate to correct, recorded by the owner. */
async function submissionOf(ledger: TestLedger, unitId: string, period: string): Promise<string> {
  const reply = await ledger.post('/v1/submissions', submission(unitId, 'on-time', 90, period).body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.submissionId;
}

describe('identity and access', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
  });
  afterAll(() => ledger.dispose());

  it('refuses every write and ops action without a credential, or with one it does not take: 401, nothing written', async () => {
    await ledger.settled();
    const before = (await logOf(ledger)).length;
    const actions: [string, string, unknown][] = [
      ['POST', '/v1/submissions', submission('754', 'on-time', 91).body],
      ['POST', '/v1/batch', { commands: [submission('754', 'on-time', 91)] }],
      ['POST', '/v1/units', { id: 'x1', name: 'X', level: 'commune', parentId: '754' }],
      ['POST', '/v1/access/principals', { id: 'svc:intruder', name: 'Intruder' }],
      ['POST', '/v1/access/grants', { principalId: 'svc:owner', role: 'ops' }],
      ['POST', '/v1/ops/seal', {}],
      ['POST', '/v1/ops/projections/as-of-index/rebuild', {}],
      ['POST', '/v1/ops/log/checkpoint', {}],
      ['POST', '/v1/ops/verify-replay', { methodologyId: 'cchc', period: '2023' }],
      ['GET', '/v1/ops/projections', undefined],
      ['GET', '/v1/access/grants', undefined],
    ];
    const forged = `ilk_${'0'.repeat(16)}_${'0'.repeat(64)}`;
    for (const [method, path, body] of actions) {
      const none = await ledger.call(method, path, body, NONE);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.contentType).toMatch(/^application\/problem\+json/);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="indicator-ledger"');
      for (const authorization of [`Bearer ${forged}`, 'Bearer not-a-credential', 'Basic b3duZXI6b3duZXI=']) {
        const bad = await ledger.call(method, path, body, { authorization });
        expect(bad.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(bad.headers.get('www-authenticate')).toBe(
          'Bearer realm="indicator-ledger", error="invalid_token"',
        );
      }
    }
    expect((await logOf(ledger)).length).toBe(before);
  });

  it('keeps the reads public, and the health probes open', async () => {
    for (const path of ['/v1/units', '/v1/units/747', '/v1/log', '/v1/events', '/healthz', '/readyz']) {
      const reply = await ledger.call('GET', path, undefined, NONE);
      expect(reply.status, `${path}: ${JSON.stringify(reply.body)}`).toBe(200);
    }
  });

  it('allows each role what it is granted and nothing else, over every kind of write and ops action', async () => {
    let n = 0;
    const fresh = () => `${++n}`;
    const actions: Record<string, (c: Caller) => Promise<Reply>> = {
      submission: (c) =>
        c.call('POST', '/v1/submissions', submission('754', 'satisfaction', 80 + n / 100, '2023').body),
      correction: async (c) => {
        const id = await submissionOf(
          ledger,
          '754',
          `2023-${String((Number(fresh()) % 12) + 1).padStart(2, '0')}`,
        );
        return c.call('POST', `/v1/submissions/${id}/corrections`, {
          value: 42 + n / 100,
          reason: 'Sai số liệu',
        });
      },
      unit: (c) =>
        c.call('POST', '/v1/units', {
          id: `xa-${fresh()}`,
          name: `Xã ${n}`,
          level: 'commune',
          parentId: '754',
        }),
      indicator: (c) =>
        c.call('POST', '/v1/indicators', {
          code: `ind-${fresh()}`,
          name: `Chỉ tiêu ${n}`,
          measure: 'percent',
          direction: 'higher-is-better',
        }),
      target: (c) =>
        c.call('POST', '/v1/targets', {
          indicator: 'satisfaction',
          period: `20${10 + (Number(fresh()) % 10)}`,
          unitId: '754',
          value: 90,
          authority: 'UBND tỉnh',
        }),
      'ops-read': (c) => c.call('GET', '/v1/ops/projections'),
      rebuild: (c) => c.call('POST', '/v1/ops/projections/as-of-index/rebuild', {}),
      'key-rotation': (c) => c.call('POST', '/v1/ops/log/key-rotation', { reason: 'test' }),
      'access-admin': (c) => c.call('POST', '/v1/access/principals', { id: `svc:p-${fresh()}`, name: 'P' }),
      'access-read': (c) => c.call('GET', '/v1/access/grants'),
    };
    const allowed: Record<Role, string[]> = {
      integrator: ['submission'],
      appraiser: ['correction'],
      'unit-admin': ['unit'],
      'indicator-admin': ['indicator'],
      'target-admin': ['target'],
      importer: [],
      auditor: ['ops-read', 'access-read'],
      ops: ['ops-read', 'rebuild', 'key-rotation'],
      'access-admin': ['access-admin', 'access-read'],
    };
    const scoped = new Set<Role>(['integrator', 'appraiser', 'unit-admin', 'target-admin']);
    const seen: string[] = [];
    const expected: string[] = [];
    for (const role of ROLES) {
      const caller = await principal(ledger, `svc:only-${role}`, [
        { role, ...(scoped.has(role) ? { unitId: '754' } : {}) },
      ]);
      for (const [action, run] of Object.entries(actions)) {
        const reply = await run(caller);
        seen.push(`${role} ${action}: ${reply.status < 300 ? 'allowed' : reply.status}`);
        expected.push(`${role} ${action}: ${allowed[role].includes(action) ? 'allowed' : 403}`);
        if (reply.status === 403) expect(reply.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
      }
    }
    expect(seen).toEqual(expected);
  });

  it('names the authenticated principal as the actor, with how it was authenticated; X-Actor is refused', async () => {
    const int = await principal(ledger, 'svc:int-754', [{ role: 'integrator', unitId: '754' }]);
    const reply = await int.call('POST', '/v1/submissions', submission('754', 'on-time', 93, '2023-Q1').body);
    expect(reply.status).toBe(201);
    const event = (await logOf(ledger)).find((e) => e.eventId === reply.body.eventId);
    const keyId = int.key.slice(4, 20);
    expect(event?.metadata).toMatchObject({ actor: 'svc:int-754', auth: { method: 'api-key', keyId } });

    await ledger.settled();
    const before = (await logOf(ledger)).length;
    const forged = await int.call(
      'POST',
      '/v1/submissions',
      submission('754', 'on-time', 94, '2023-Q2').body,
      {
        'x-actor': 'so-noi-vu-brvt',
      },
    );
    expect(forged.status).toBe(400);
    expect(forged.body.errors.map((e: { path: string }) => e.path)).toEqual(['X-Actor']);
    expect((await logOf(ledger)).length).toBe(before);
  });

  it('judges a correction by the unit of the submission it corrects, not by the request (BOLA)', async () => {
    const both = await principal(ledger, 'svc:both-754', [
      { role: 'integrator', unitId: '754' },
      { role: 'appraiser', unitId: '754' },
    ]);
    const theirs = await submissionOf(ledger, '747', '2023-Q3');
    await ledger.settled();
    const before = (await logOf(ledger)).length;
    for (const [path, body] of [
      [`/v1/submissions/${theirs}/corrections`, { value: 10, reason: 'Thử' }],
      [`/v1/submissions/${theirs}/retractions`, { reason: 'Thử' }],
    ] as const) {
      const reply = await both.call('POST', path, body);
      expect(reply.status, path).toBe(403);
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toEqual(['submissionId']);
    }
    const batch = await both.call('POST', '/v1/batch', {
      commands: [{ type: 'correction', body: { submissionId: theirs, value: 11, reason: 'Thử' } }],
    });
    expect(batch.status).toBe(403);
    expect(batch.body.errors.map((e: { path: string }) => e.path)).toEqual(['commands.0.body.submissionId']);
    const other = await both.call(
      'POST',
      '/v1/submissions',
      submission('747', 'on-time', 95, '2023-Q3').body,
    );
    expect(other.status).toBe(403);
    expect(other.body.errors.map((e: { path: string }) => e.path)).toEqual(['unitId']);
    expect((await logOf(ledger)).length).toBe(before);
  });

  it('follows the unit tree in force: a commune moved to another district leaves its old district’s scope', async () => {
    expect(
      (
        await ledger.post('/v1/units', {
          id: '74701',
          name: 'P. 1',
          level: 'commune',
          parentId: '747',
          validFrom: '2000-01-01',
        })
      ).status,
    ).toBe(201);
    const int = await principal(ledger, 'svc:int-747', [{ role: 'integrator', unitId: '747' }]);
    expect((await int.call('POST', '/v1/submissions', submission('74701', 'on-time', 90).body)).status).toBe(
      201,
    );
    expect((await ledger.post('/v1/units/74701/revisions', { parentId: '748' })).status).toBe(201);
    const moved = await int.call(
      'POST',
      '/v1/submissions',
      submission('74701', 'on-time', 91, '2023-Q4').body,
    );
    expect(moved.status).toBe(403);
  });

  it('judges a batch command by command in one fork: a unit registered first can be submitted for', async () => {
    const admin = await principal(ledger, 'svc:admin-754', [
      { role: 'unit-admin', unitId: '754' },
      { role: 'integrator', unitId: '754' },
    ]);
    const reply = await admin.call('POST', '/v1/batch', {
      commands: [
        {
          type: 'unit',
          body: {
            id: '75401',
            name: 'Xã Tân Hải',
            level: 'commune',
            parentId: '754',
            validFrom: '2000-01-01',
          },
        },
        submission('75401', 'on-time', 88),
      ],
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  });

  it('refuses a revoked key, an expired key, a revoked grant and a grant out of its days', async () => {
    const int = await principal(ledger, 'svc:int-revoked', [{ role: 'integrator', unitId: '754' }]);
    const ok = await int.call('POST', '/v1/submissions', submission('754', 'on-time', 90, '2022').body);
    expect(ok.status).toBe(201);
    const keyId = int.key.slice(4, 20);
    expect((await ledger.post(`/v1/access/keys/${keyId}/revocations`, { reason: 'lộ khóa' })).status).toBe(
      201,
    );
    expect(
      (await int.call('POST', '/v1/submissions', submission('754', 'on-time', 91, '2022').body)).status,
    ).toBe(401);

    const brief = await principal(ledger, 'svc:int-brief', [{ role: 'integrator', unitId: '754' }], {
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    expect(
      (await brief.call('POST', '/v1/submissions', submission('754', 'satisfaction', 80, '2022').body))
        .status,
    ).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect(
      (await brief.call('POST', '/v1/submissions', submission('754', 'satisfaction', 81, '2022-Q1').body))
        .status,
    ).toBe(401);

    const granted = await principal(ledger, 'svc:int-granted', [{ role: 'integrator', unitId: '754' }]);
    const grants = (await ledger.get('/v1/access/grants?principalId=svc:int-granted')).body.grants;
    expect(grants).toHaveLength(1);
    expect((await ledger.post(`/v1/access/grants/${grants[0].grantId}/revocations`, {})).status).toBe(201);
    expect(
      (await granted.call('POST', '/v1/submissions', submission('754', 'on-time', 92, '2021').body)).status,
    ).toBe(403);

    const lapsed = await principal(ledger, 'svc:int-lapsed', [
      { role: 'integrator', unitId: '754', validFrom: '2020-01-01', validTo: '2020-12-31' },
    ]);
    expect(
      (await lapsed.call('POST', '/v1/submissions', submission('754', 'on-time', 92, '2020').body)).status,
    ).toBe(403);
  });

  it('counts a key issued and revoked by another process (the CLI) at once', async () => {
    await principal(ledger, 'svc:int-cli', [{ role: 'integrator', unitId: '754' }]);
    const env = { LEDGER_DATA_DIR: ledger.dataDir };
    const issued = await ledgerCli(['access', 'issue-key', 'svc:int-cli'], env);
    expect(issued.code, issued.stderr).toBe(0);
    const key = issued.stdout.match(/ilk_[0-9a-f]{16}_[0-9a-f]{64}/)?.[0] as string;
    const write = (value: number) =>
      ledger.call(
        'POST',
        '/v1/submissions',
        submission('754', 'satisfaction', value, '2018').body,
        bearer(key),
      );
    expect((await write(70)).status).toBe(201);
    const revoked = await ledgerCli(['access', 'revoke-key', key.slice(4, 20)], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await write(71)).status).toBe(401);
  });

  it('lists the grants in force as of any date, as the log stood then', async () => {
    await principal(ledger, 'svc:auditee', [{ role: 'integrator', unitId: '748' }]);
    const now = await ledger.get('/v1/access/grants?principalId=svc:auditee');
    expect(now.status).toBe(200);
    expect(now.body.grants).toMatchObject([
      { principalId: 'svc:auditee', role: 'integrator', unitId: '748', grantedBy: 'svc:owner' },
    ]);
    const [grant] = now.body.grants;
    const before = await ledger.get('/v1/access/grants?principalId=svc:auditee&asOf=2024-01-01');
    expect(before.body.grants).toEqual([]);
    expect(
      (await ledger.post(`/v1/access/grants/${grant.grantId}/revocations`, { reason: 'chuyển công tác' }))
        .status,
    ).toBe(201);
    expect((await ledger.get('/v1/access/grants?principalId=svc:auditee')).body.grants).toEqual([]);
    const then = await ledger.get(
      `/v1/access/grants?principalId=svc:auditee&asOf=${encodeURIComponent(now.body.asOf)}`,
    );
    expect(then.body.grants).toMatchObject([{ grantId: grant.grantId }]);
    const principals = (await ledger.get('/v1/access/principals')).body.principals;
    expect(principals.find((p: { principalId: string }) => p.principalId === 'svc:owner').roles).toEqual([
      ...ROLES,
    ]);
  });

  it('scopes an Idempotency-Key to its principal: another caller’s same key is another write', async () => {
    const a = await principal(ledger, 'svc:int-a', [{ role: 'integrator', unitId: '754' }]);
    const b = await principal(ledger, 'svc:int-b', [{ role: 'integrator', unitId: '754' }]);
    const key = { 'idempotency-key': 'lan-gui-1' };
    const first = await a.call('POST', '/v1/submissions', submission('754', 'on-time', 90, '2019').body, key);
    const second = await b.call(
      'POST',
      '/v1/submissions',
      submission('754', 'satisfaction', 90, '2019').body,
      key,
    );
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.eventId).not.toBe(first.body.eventId);
    const again = await a.call('POST', '/v1/submissions', submission('754', 'on-time', 90, '2019').body, key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.eventId).toBe(first.body.eventId);
  });

  it('counts denials, and does not append them to the log', async () => {
    const before = (await ledger.get('/v1/ops/denials')).body;
    const length = (await logOf(ledger)).length;
    await ledger.call('POST', '/v1/submissions', submission('754', 'on-time', 90).body, NONE);
    const after = (await ledger.get('/v1/ops/denials')).body;
    expect(after.unauthenticated).toBe(before.unauthenticated + 1);
    expect((await logOf(ledger)).length).toBe(length);
  });
});

describe('access settings', () => {
  it('LEDGER_READS=authenticated closes the reads, but not the health probes', async () => {
    const ledger = await startTestLedger({ LEDGER_READS: 'authenticated' });
    try {
      expect((await ledger.call('GET', '/v1/units', undefined, NONE)).status).toBe(401);
      expect((await ledger.get('/v1/units')).status).toBe(200);
      expect((await ledger.call('GET', '/healthz', undefined, NONE)).status).toBe(200);
      // verify-replay's child process reads the served ranking as the caller.
      expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
      await ledger.settled();
      const verified = await ledger.post('/v1/ops/verify-replay', { methodologyId: 'cchc', period: '2023' });
      expect(verified.body).toMatchObject({ verified: true });
    } finally {
      await ledger.dispose();
    }
  });

  it('importing (a recordedAt) needs the importer role besides the command’s', async () => {
    const ledger = await startTestLedger();
    try {
      expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
      const plain = await principal(ledger, 'svc:int', [{ role: 'integrator', unitId: '754' }]);
      const importer = await principal(ledger, 'svc:imp', [
        { role: 'integrator', unitId: '754' },
        { role: 'importer' },
      ]);
      const batch = { recordedAt: '2024-01-06T09:00:00+07:00', commands: [submission('754', 'on-time', 97)] };
      const refused = await plain.call('POST', '/v1/batch', batch);
      expect(refused.status).toBe(403);
      expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['recordedAt']);
      expect((await importer.call('POST', '/v1/batch', batch)).status).toBe(201);
    } finally {
      await ledger.dispose();
    }
  });

  it('LEDGER_AUTH=off records every write as svc:development with auth method none', async () => {
    const ledger = await startTestLedger({ LEDGER_AUTH: 'off' });
    try {
      const reply = await ledger.post('/v1/batch', SEED);
      expect(reply.status).toBe(201);
      const event = (await logOf(ledger)).find((e) => e.eventId === reply.body.results[0].eventId);
      expect(event?.metadata).toMatchObject({ actor: 'svc:development', auth: { method: 'none' } });
    } finally {
      await ledger.dispose();
    }
  });
});

describe('OIDC access tokens from a real identity provider', () => {
  const audience = 'https://ledger.test';
  let idp: OidcProviderHarness;
  let ledger: TestLedger;
  beforeAll(async () => {
    idp = await startOidcProvider({
      audience,
      clients: [
        { clientId: 'cong-dvc-754', clientSecret: 'a-long-test-secret-754' },
        { clientId: 'unbound', clientSecret: 'a-long-test-secret-unbound' },
      ],
    });
    ledger = await startTestLedger({ LEDGER_OIDC_ISSUER: idp.issuer, LEDGER_OIDC_AUDIENCE: audience });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    const bound = await ledger.post('/v1/access/principals', {
      id: 'svc:cong-dvc-754',
      name: 'Cổng dịch vụ công Phú Mỹ',
      oidc: { issuer: idp.issuer, subject: 'cong-dvc-754' },
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(201);
    expect(
      (
        await ledger.post('/v1/access/grants', {
          principalId: 'svc:cong-dvc-754',
          role: 'integrator',
          unitId: '754',
        })
      ).status,
    ).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await ledger?.dispose();
    await idp?.stop();
  });

  it('takes a token of the bound client as its principal, within its grants', async () => {
    const token = await idp.token('cong-dvc-754', 'a-long-test-secret-754');
    const reply = await ledger.call(
      'POST',
      '/v1/submissions',
      submission('754', 'on-time', 96).body,
      bearer(token),
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const event = (await logOf(ledger)).find((e) => e.eventId === reply.body.eventId);
    expect(event?.metadata).toMatchObject({
      actor: 'svc:cong-dvc-754',
      auth: { method: 'oidc', issuer: idp.issuer },
    });
    const other = await ledger.call(
      'POST',
      '/v1/submissions',
      submission('747', 'on-time', 96).body,
      bearer(token),
    );
    expect(other.status).toBe(403);
  });

  it('refuses a valid token whose identity no principal is bound to, and a token that is not a valid one', async () => {
    const unbound = await idp.token('unbound', 'a-long-test-secret-unbound');
    expect(
      (await ledger.call('POST', '/v1/submissions', submission('754', 'on-time', 95).body, bearer(unbound)))
        .status,
    ).toBe(401);
    const token = await idp.token('cong-dvc-754', 'a-long-test-secret-754');
    const [header, payload] = token.split('.');
    const tampered = `${header}.${payload}.${'A'.repeat(86)}`;
    expect(
      (await ledger.call('POST', '/v1/submissions', submission('754', 'on-time', 95).body, bearer(tampered)))
        .status,
    ).toBe(401);
  });
});
