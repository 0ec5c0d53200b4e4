import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from './support.ts';

/** The lists and principal reads the console is built on, against the demo. */
describe('the reads the console needs, on the demo', () => {
  let ledger: TestLedger;
  let longDien: string;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  /** A ranking as rank and total by unit; none before its methodology was published (404). */
  const ranking = async (asOf: string): Promise<string[]> => {
    const reply = await ledger.get(`/v1/rankings/cchc-district/2023?asOf=${encodeURIComponent(asOf)}`);
    if (reply.status === 404) return [];
    return reply.body.rows.map(
      (r: { unitId: string; rank: number; total: number }) => `${r.unitId}:${r.rank}:${r.total}`,
    );
  };

  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on' });
    await ledger.settled();
    const issued = await ledger.post('/v1/access/principals/svc:ubnd-long-dien/keys', {});
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    longDien = issued.body.key;
  });
  afterAll(() => ledger.dispose());

  it('lists the methodologies with every version, and the indicators, in Vietnamese order', async () => {
    const { methodologies } = (await ledger.get('/v1/methodologies')).body;
    const district = methodologies.find(
      (m: { methodologyId: string }) => m.methodologyId === 'cchc-district',
    );
    expect(
      district.versions.map((v: { version: number; appliesFrom: string | null }) => [
        v.version,
        v.appliesFrom,
      ]),
    ).toEqual([
      [1, null],
      [2, '2023'],
    ]);
    // As of before version 2 was published, only version 1 is listed.
    const before = (await ledger.get('/v1/methodologies?asOf=2023-01-01')).body.methodologies;
    expect(
      before.find((m: { methodologyId: string }) => m.methodologyId === 'cchc-district').versions,
    ).toHaveLength(1);

    const names = (await ledger.get('/v1/indicators')).body.indicators.map((i: { name: string }) => i.name);
    expect(names.length).toBeGreaterThan(3);
    expect(names).toEqual([...names].sort(new Intl.Collator('vi').compare));
  });

  it('lists the periods that hold values of a methodology’s indicators, with their granularity', async () => {
    const { periods } = (await ledger.get('/v1/periods?methodologyId=cchc-district')).body;
    expect(periods.map((p: { period: string }) => p.period)).toContain('2023');
    expect(periods.find((p: { period: string }) => p.period === '2023')).toMatchObject({
      granularity: 'year',
    });
    expect((await ledger.get('/v1/periods?indicator=no-such')).body.periods).toEqual([]);
  });

  it('gives exactly the instants at which the ranking changed: each one changes it, nothing between does', async () => {
    const { changes, truncated } = (await ledger.get('/v1/rankings/cchc-district/2023/changes')).body;
    expect(truncated).toBe(false);
    // The README's correction, recorded on 22 January 2024 at 15:30 in Hà Nội, moved Long Điền 6 → 5.
    const between = changes.filter(
      (c: { recordedAt: string }) =>
        c.recordedAt > '2024-01-15T17:00:00Z' && c.recordedAt <= '2024-01-31T17:00:00Z',
    );
    expect(between.map((c: { recordedAt: string }) => c.recordedAt)).toEqual(['2024-01-22T08:30:00.000Z']);
    for (const [i, c] of changes.entries()) {
      const at = Date.parse(c.recordedAt);
      const rightAfter = await ranking(c.recordedAt);
      const justBefore = await ranking(new Date(at - 1).toISOString());
      if (c.unitsMoved > 0) expect(rightAfter, c.recordedAt).not.toEqual(justBefore);
      const next = changes[i + 1];
      if (next) {
        const midway = new Date((at + Date.parse(next.recordedAt)) / 2).toISOString();
        expect(await ranking(midway), midway).toEqual(rightAfter);
      }
    }
    const bounded = await ledger.get('/v1/rankings/cchc-district/2023/changes?from=2024-01-16&to=2024-01-31');
    expect(bounded.body.changes).toEqual(between);
    expect((await ledger.get('/v1/rankings/no-such/2023/changes')).status).toBe(404);
  });

  it('shows which values the districts have for a period, and how they came to be', async () => {
    const { body } = await ledger.get('/v1/coverage/2023?methodologyId=cchc-district&parentId=77');
    expect(body.indicators.length).toBeGreaterThan(3);
    const names = body.units.map((u: { unitName: string }) => u.unitName);
    expect(names).toContain('H. Long Điền');
    expect(names).toEqual([...names].sort(new Intl.Collator('vi').compare));
    const states = new Set(
      body.units.flatMap((u: { cells: Record<string, { state: string }> }) =>
        Object.values(u.cells).map((c) => c.state),
      ),
    );
    expect(states).toContain('submitted');
    expect(states).toContain('corrected');
    // Before anything for 2023 was recorded, every cell is missing.
    const early = (
      await ledger.get('/v1/coverage/2023?methodologyId=cchc-district&parentId=77&asOf=2023-06-01')
    ).body;
    expect(
      early.units.every((u: { cells: Record<string, { state: string }> }) =>
        Object.values(u.cells).every((c) => c.state === 'missing'),
      ),
    ).toBe(true);
  });

  it('shows a principal what it submitted and where each value stands; another’s needs a grant', async () => {
    const own = await ledger.call('GET', '/v1/submissions?limit=1000', undefined, as(longDien));
    expect(own.status).toBe(200);
    expect(own.body.principalId).toBe('svc:ubnd-long-dien');
    expect(own.body.submissions.length).toBeGreaterThan(0);
    for (const s of own.body.submissions) expect(s.type).toMatch(/^ledger\.(value-|submission-)/);
    // The demo's correction of Long Điền's value: its submission is marked corrected.
    expect(own.body.submissions.some((s: { state: string }) => s.state === 'corrected')).toBe(true);
    const byOwner = await ledger.get('/v1/submissions?principalId=svc:ubnd-long-dien&limit=1000');
    expect(byOwner.body.submissions).toEqual(own.body.submissions);
    const paged = await ledger.call('GET', '/v1/submissions?limit=2', undefined, as(longDien));
    const rest = await ledger.call(
      'GET',
      `/v1/submissions?limit=1000&after=${paged.body.next}`,
      undefined,
      as(longDien),
    );
    expect([...paged.body.submissions, ...rest.body.submissions]).toEqual(own.body.submissions);

    const other = await ledger.call(
      'GET',
      '/v1/submissions?principalId=svc:ubnd-ba-ria',
      undefined,
      as(longDien),
    );
    expect(other.status).toBe(403);
    expect((await ledger.call('GET', '/v1/submissions', undefined, { authorization: '' })).status).toBe(401);
  });

  it('keeps what the door refused a principal, with the problem and its field paths, but not a 401', async () => {
    const refused = await ledger.call(
      'POST',
      '/v1/submissions',
      { unitId: '752', indicator: 'dossiers-on-time', period: '2023', value: 'chín mươi' },
      as(longDien),
    );
    expect(refused.status).toBe(400);
    await ledger.call('POST', '/v1/submissions', { unitId: '752' }, { authorization: 'Bearer ilk_forged' });
    let refusals: {
      via: string;
      status: number;
      problem: { errors?: { path: string }[] };
      body: string;
      request: { path: string };
    }[] = [];
    for (let i = 0; i < 50 && refusals.length === 0; i++) {
      refusals = (await ledger.call('GET', '/v1/refusals', undefined, as(longDien))).body.refusals;
      if (refusals.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ via: 'http', status: 400, request: { path: '/v1/submissions' } });
    expect(refusals[0]?.problem.errors?.map((e) => e.path)).toContain('value');
    expect(JSON.parse(refusals[0]?.body ?? 'null')).toMatchObject({ value: 'chín mươi' });
    // The owner (ops) reads anyone's; an integrator only its own.
    const seen = await ledger.get('/v1/refusals?principalId=svc:ubnd-long-dien');
    expect(seen.body.refusals).toEqual(refusals);
    expect(
      (await ledger.call('GET', '/v1/refusals?principalId=svc:owner', undefined, as(longDien))).status,
    ).toBe(403);
  });

  it('cuts a huge refused body at 4 KiB, and keeps its refusal', async () => {
    const huge = {
      unitId: '752',
      indicator: 'dossiers-on-time',
      period: '2023',
      value: 1,
      source: 'ố'.repeat(100_000),
    };
    expect((await ledger.call('POST', '/v1/submissions', huge, as(longDien))).status).toBe(400);
    let last: { body: string } | undefined;
    for (let i = 0; i < 50; i++) {
      const { refusals } = (await ledger.call('GET', '/v1/refusals', undefined, as(longDien))).body;
      if (refusals.length >= 2) {
        last = refusals.at(-1);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Buffer.byteLength(last?.body ?? '', 'utf8')).toBeLessThanOrEqual(4096 + 3);
    expect(last?.body.startsWith('{"unitId":"752"')).toBe(true);
    expect(last?.body.endsWith('…')).toBe(true);
  });
});
