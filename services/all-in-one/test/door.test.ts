import { ledgerDay, type RecordedEvent } from '@ledger/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from './seed.ts';
import { ledgerCli, logOf, type Reply, routesOf, startTestLedger, type TestLedger } from './support.ts';

/**
 * The door of an immutable log: each input below, once recorded, would break the ledger for good,
 * since the log keeps it forever. Each is refused with a 4xx naming the field, nothing is written,
 * and the ledger stays ready.
 */
describe('the door of an immutable log', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
  });
  afterAll(() => ledger.dispose());

  /**
   * Sends a request and expects it refused with `status` at `path`, no event of it in the log (the
   * log may still grow meanwhile, by the scores of earlier writes), and the ledger ready.
   */
  const refused = async (status: number, path: string, send: () => Promise<Reply>) => {
    const reply = await send();
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    expect(reply.body.errors?.map((e: { path: string }) => e.path)).toContain(path);
    const request = reply.headers.get('x-request-id');
    expect(request).toBeTruthy();
    const log = await logOf(ledger);
    expect(log.filter((e) => e.metadata.causationId === request)).toEqual([]);
    expect((await ledger.get('/readyz')).status).toBe(200);
    return reply.body;
  };

  const methodology = (indicators: unknown[]) => ({
    id: 'door-test',
    name: 'Thử cửa',
    level: 'district',
    indicators,
  });

  it('refuses a lone UTF-16 surrogate in any text field', async () => {
    const lone = 'x \ud800';
    await refused(400, 'source', () =>
      ledger.post('/v1/submissions', { ...submission('747', 'on-time', 97).body, source: lone }),
    );
    await refused(400, 'name', () => ledger.post('/v1/units', { id: 'U1', name: lone, level: 'district' }));
    await refused(400, 'authority', () =>
      ledger.post('/v1/targets', { indicator: 'on-time', period: '2024', value: 90, authority: lone }),
    );
    await refused(400, 'indicators.0.group', () =>
      ledger.post(
        '/v1/methodologies',
        methodology([{ indicator: 'on-time', group: lone, maxPoints: 10, rule: { kind: 'met' } }]),
      ),
    );
    await refused(400, 'X-Actor', () =>
      ledger.post('/v1/submissions', submission('747', 'on-time', 97).body, { 'x-actor': 'so-noi-vu\u0085' }),
    );
  });

  it('refuses numbers that would make a score infinite, and methodologies that could give more than 10^6 points', async () => {
    await refused(400, 'indicators.0.rule.factor', () =>
      ledger.post(
        '/v1/methodologies',
        methodology([{ indicator: 'on-time', rule: { kind: 'scaled', factor: 1e308 } }]),
      ),
    );
    await refused(400, 'indicators.0.maxPoints', () =>
      ledger.post(
        '/v1/methodologies',
        methodology([
          { indicator: 'on-time', maxPoints: 1e308, rule: { kind: 'met' } },
          { indicator: 'satisfaction', maxPoints: 1e308, rule: { kind: 'met' } },
        ]),
      ),
    );
    // A count has no upper bound of its own: a scaled rule on it needs maxPoints.
    expect(
      (
        await ledger.post('/v1/indicators', {
          code: 'dialogues',
          name: 'Số cuộc đối thoại',
          measure: 'count',
          direction: 'higher-is-better',
        })
      ).status,
    ).toBe(201);
    const total = await refused(400, 'indicators', () =>
      ledger.post(
        '/v1/methodologies',
        methodology([{ indicator: 'dialogues', rule: { kind: 'scaled', factor: 0.5 } }]),
      ),
    );
    expect(total.errors[0].message).toMatch(/at most 1000000/);
    await refused(400, 'value', () =>
      ledger.post('/v1/submissions', { ...submission('747', 'on-time', 1e308).body }),
    );
    await refused(400, 'value', () =>
      ledger.post('/v1/targets', { indicator: 'on-time', period: '2024', value: -1e300, authority: 'HĐND' }),
    );
    // Within the ranges, the same methodology is recorded.
    const bounded = await ledger.post(
      '/v1/methodologies',
      methodology([{ indicator: 'dialogues', maxPoints: 5, rule: { kind: 'scaled', factor: 0.5 } }]),
    );
    expect(bounded.status).toBe(201);
  });

  it('refuses command types that name inherited properties', async () => {
    for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const body = await refused(400, 'commands.0.type', () =>
        ledger.post('/v1/batch', `{"commands": [{"type": ${JSON.stringify(type)}, "body": {}}]}`),
      );
      expect(body.errors[0].message).toMatch(/must be one of: unit, unit-revision/);
    }
    // A command named like an inherited property of the batch item itself.
    await refused(400, 'commands.0.__proto__', () =>
      ledger.post('/v1/batch', '{"commands": [{"__proto__": {"type": "unit"}, "type": "unit", "body": {}}]}'),
    );
  });

  it('refuses a body nested 3,000 levels deep with a 400, and one of 64 levels is read', async () => {
    const deep = `{"commands": ${'['.repeat(3_000)}${']'.repeat(3_000)}}`;
    expect(deep.length).toBeLessThan(10_000);
    const body = await refused(400, `commands${'.0'.repeat(63)}`, () => ledger.post('/v1/batch', deep));
    expect(body.detail).toMatch(/deeper than 64 levels/);
    // Deep enough to be read, and then refused for what it says.
    const readable = await ledger.post('/v1/batch', `{"commands": ${'['.repeat(60)}${']'.repeat(60)}}`);
    expect(readable.status).toBe(400);
    expect(readable.body.errors[0].path).toBe('commands.0');
  });

  it('refuses names that would deceive a reader, and keeps Vietnamese and line breaks where they belong', async () => {
    const deceiving = [
      'TP. Vũng\u0007 Tàu',
      'H.\u0000Côn Đảo',
      '\u001b[2JH. Đất Đỏ',
      'TX. Phú Mỹ\u202E',
      '\u200B\u200B',
      '\u2066H. Châu Đức\u2069',
      'H. Long\uFEFFĐiền',
      'TP. Bà\u00ADRịa',
      '\u3164',
      '—',
    ];
    for (const name of deceiving)
      await refused(400, 'name', () => ledger.post('/v1/units', { id: 'U2', name, level: 'district' }));
    // Combining marks are composed (NFC), runs of spaces collapse to one.
    const nfd = 'Thành phố  Thủ   Đức'.normalize('NFD');
    const unit = await ledger.post('/v1/units', {
      id: 'TD',
      name: nfd,
      level: 'district',
      validFrom: '2021-01-01',
    });
    expect(unit.status).toBe(201);
    expect((await ledger.get('/v1/units/TD')).body.names[0].name).toBe('Thành phố Thủ Đức');
    // Free text keeps its line breaks, and nothing else of the kind.
    const value = await ledger.post('/v1/submissions', submission('747', 'satisfaction', 80, '2022').body);
    const reason = 'Phiếu khảo sát trùng lặp.\r\nĐã loại 12 phiếu.';
    const corrected = await ledger.post(`/v1/submissions/${value.body.submissionId}/corrections`, {
      value: 81,
      reason,
    });
    expect(corrected.status).toBe(201);
    const history = await ledger.get('/v1/history?unitId=747&indicator=satisfaction&period=2022');
    expect(history.body.events.at(-1).data.reason).toBe('Phiếu khảo sát trùng lặp.\nĐã loại 12 phiếu.');
    await refused(400, 'reason', () =>
      ledger.post(`/v1/submissions/${value.body.submissionId}/corrections`, { value: 82, reason: 'a\tb' }),
    );
  });

  it('refuses a body in a charset the JSON parser does not read with 415, and one without a JSON media type too', async () => {
    const before = (await logOf(ledger)).length;
    for (const contentType of ['application/json; charset=latin1', 'text/plain']) {
      const reply = await ledger.call('POST', '/v1/batch', SEED, { 'content-type': contentType });
      expect(reply.status, contentType).toBe(415);
      expect(reply.contentType).toMatch(/^application\/problem\+json/);
    }
    expect((await logOf(ledger)).length).toBe(before);
  });

  it('refuses an unknown query parameter on a read, naming it: asof is not asOf', async () => {
    const body = await refused(400, 'asof', () => ledger.get('/v1/rankings/cchc/2023?asof=2024-01-15'));
    expect(body.errors[0].message).toBe('unknown query parameter; did you mean asOf?');
    await refused(400, 'parentId', () => ledger.get('/v1/units/747/scorecard/cchc/2023?parentId=77'));
    await refused(400, 'recordedAt', () =>
      ledger.post('/v1/submissions?recordedAt=2024-01-01', submission('748', 'on-time', 90).body),
    );
  });

  it('refuses an unknown query parameter on every read the server serves', async () => {
    const reads = routesOf(ledger.app).filter((r) => r.method === 'get');
    expect(reads.length).toBeGreaterThan(15);
    for (const { path } of reads) {
      const url = path.replace(':methodologyId', 'cchc').replace(':period', '2023').replace(/:\w+/g, '747');
      const reply = await ledger.get(`${url}?bogus=1`);
      expect(reply.status, `GET ${url}?bogus=1`).toBe(400);
      expect(reply.body.errors[0].path, `GET ${url}?bogus=1`).toBe('bogus');
    }
  });

  it('answers an asOf in the future as of now, and says so', async () => {
    const before = Date.now();
    const reply = await ledger.get('/v1/rankings/cchc/2023?asOf=2999-01-01');
    expect(reply.status).toBe(200);
    expect(reply.body.requestedAsOf).toBe('2999-01-01T16:59:59.999Z');
    expect(Date.parse(reply.body.asOf)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(reply.body.asOf)).toBeLessThanOrEqual(Date.now());
    expect((await ledger.get('/v1/rankings/cchc/2023?asOf=2024-01-15')).body.requestedAsOf).toBeUndefined();
  });

  it('keeps a unit registered without validFrom out of the periods before it was registered', async () => {
    const today = ledgerDay(Date.now());
    const unit = await ledger.post('/v1/units', {
      id: '756',
      name: 'H. Mới',
      level: 'district',
      parentId: '77',
    });
    expect(unit.status).toBe(201);
    expect((await ledger.get('/v1/units/756')).body.validFrom).toBe(today);
    const ids = (await ledger.get('/v1/rankings/cchc/2021')).body.rows.map(
      (r: { unitId: string }) => r.unitId,
    );
    expect(ids).not.toContain('756');
    expect(ids).toContain('747');
    const late = await ledger.post('/v1/submissions', submission('756', 'on-time', 90, '2021').body);
    expect(late.status).toBe(422);
    expect(late.body.errors[0].message).toMatch(`from ${today}`);
  });
});

describe('time: once the ledger is sealed, an answer as of an instant already served never changes', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
  });
  afterAll(() => ledger.dispose());

  it('is open for import until its first write at the clock, which seals it; then refuses a recordedAt, even the latest', async () => {
    // Open: history is imported with its recordedAt, and answers say they are provisional. The
    // ledger's own events (a signed checkpoint) are recorded at the instant of what they cover:
    // they neither seal it nor stand in the way of the next import.
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    expect((await ledger.post('/v1/ops/log/checkpoint', {})).status).toBe(201);
    const imported = await ledger.post('/v1/batch', {
      recordedAt: '2024-01-12T09:00:00+07:00',
      commands: [submission('747', 'on-time', 97), submission('748', 'on-time', 99)],
    });
    expect(imported.status).toBe(201);
    expect((await ledger.get('/v1/rankings/cchc/2023')).body.sealed).toBe(false);

    // The first write at the clock seals the ledger, in the same append.
    const written = await ledger.post('/v1/submissions', submission('754', 'on-time', 98.5).body);
    expect(written.status).toBe(201);
    const log = await logOf(ledger);
    const seal = log.find((e) => e.type === 'ledger.ledger-sealed.v1') as RecordedEvent;
    expect(seal).toMatchObject({ streamId: 'ledger:seal', position: written.body.position - 1 });
    expect(seal.recordedAt).toBe(written.body.recordedAt);
    await ledger.settled();
    const served = await ledger.get(`/v1/rankings/cchc/2023?asOf=${written.body.recordedAt}`);
    expect(served.body.sealed).toBe(true);

    // A correction backdated to the latest recordedAt: refused, nothing written.
    const latest = (await logOf(ledger)).at(-1) as RecordedEvent;
    const backdated = await ledger.post(
      `/v1/submissions/${imported.body.results[0].submissionId}/corrections`,
      {
        value: 90,
        reason: 'Sửa số liệu',
        recordedAt: latest.recordedAt,
      },
    );
    expect(backdated.status).toBe(409);
    expect(backdated.body.errors[0]).toMatchObject({ path: 'recordedAt' });
    expect(backdated.body.detail).toMatch(/sealed/);
    const caused = await logOf(ledger);
    expect(caused.filter((e) => e.metadata.causationId === backdated.headers.get('x-request-id'))).toEqual(
      [],
    );

    // The same correction at the clock is recorded after the instant served (the clock has moved on
    // since), and the answer already served stays as it was, byte for byte.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const corrected = await ledger.post(
      `/v1/submissions/${imported.body.results[0].submissionId}/corrections`,
      {
        value: 90,
        reason: 'Sửa số liệu',
      },
    );
    expect(corrected.status).toBe(201);
    expect(Date.parse(corrected.body.recordedAt)).toBeGreaterThan(Date.parse(written.body.recordedAt));
    await ledger.settled();
    const again = await ledger.get(`/v1/rankings/cchc/2023?asOf=${written.body.recordedAt}`);
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(served.body));
    const now = await ledger.get('/v1/rankings/cchc/2023');
    expect(now.body.rows).not.toEqual(served.body.rows);
  });

  it('is sealed explicitly by ops once: 201, then 200 with the same seal', async () => {
    const first = await ledger.post('/v1/ops/seal', { reason: 'Đã nhập xong dữ liệu lịch sử' });
    expect(first.status).toBe(200); // sealed by the first write at the clock, above
    expect(first.body).toMatchObject({ sealed: true, streamId: 'ledger:seal' });
    const other = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    try {
      expect((await other.post('/v1/batch', SEED)).status).toBe(201);
      const sealed = await other.post('/v1/ops/seal', { reason: 'Đã nhập xong dữ liệu lịch sử' });
      expect(sealed.status).toBe(201);
      expect(sealed.body).toMatchObject({
        sealed: true,
        reason: 'Đã nhập xong dữ liệu lịch sử',
        actor: 'svc:owner',
      });
      const again = await other.post('/v1/ops/seal', {});
      expect(again.status).toBe(200);
      expect(again.body.position).toBe(sealed.body.position);
      const importing = await other.post('/v1/batch', { ...SEED, recordedAt: new Date().toISOString() });
      expect(importing.status).toBe(409);
      expect(importing.body.errors[0].path).toBe('recordedAt');
    } finally {
      await other.dispose();
    }
  });
});

describe('ledger seal', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
  });
  afterAll(() => ledger.dispose());

  it('seals the ledger from the CLI once, and the server refuses an import from then on', async () => {
    const store = { LEDGER_STORE: `sqlite:${ledger.databasePath}` };
    const sealed = await ledgerCli(['seal', '--reason', 'Đã nhập xong', '--actor', 'so-noi-vu-brvt'], store);
    expect(sealed.code, sealed.stderr).toBe(0);
    const at = /^sealed at position (\d+), .* by so-noi-vu-brvt: Đã nhập xong/.exec(sealed.stdout)?.[1];
    expect(at, sealed.stdout).toBeDefined();
    const again = await ledgerCli(['seal'], store);
    expect(again.stdout).toMatch(new RegExp(`^already sealed at position ${at}\\b`));
    const importing = await ledger.post('/v1/batch', {
      recordedAt: new Date().toISOString(),
      commands: [submission('747', 'on-time', 97)],
    });
    expect(importing.status).toBe(409);
    expect((await ledger.get('/v1/rankings/cchc/2023')).body.sealed).toBe(true);
    const bad = await ledgerCli(['seal', '--actor', 'x\u001b[2J'], store);
    expect(bad.code).toBe(2);
  });
});

describe('ops endpoints that must not be multiplied', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0.05' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    await ledger.settled();
  });
  afterAll(() => ledger.dispose());

  it('an idle ledger does not grow: a checkpoint is signed only when events other than checkpoints were added', async () => {
    // At 50 ms, a ledger that signed its own checkpoints would have grown by ~10 in this wait.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const idle = await logOf(ledger);
    const signedIdle = idle.filter((e) => e.type === 'tlog.checkpoint-signed.v1').length;
    expect(signedIdle).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await logOf(ledger)).toHaveLength(idle.length);
    const asked = await ledger.post('/v1/ops/log/checkpoint', {});
    expect(asked.status).toBe(200);
    expect(await logOf(ledger)).toHaveLength(idle.length);
    expect(asked.body.size).toBe(idle.length - 1);

    // A write is growth: a checkpoint covers it; once it and its scores are covered, nothing more.
    expect((await ledger.post('/v1/submissions', submission('747', 'on-time', 97).body)).status).toBe(201);
    await ledger.settled();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const grown = await logOf(ledger);
    const signed = grown.filter((e) => e.type === 'tlog.checkpoint-signed.v1');
    expect(signed.length).toBeGreaterThanOrEqual(2);
    expect(signed.at(-1)?.data).toMatchObject({ size: grown.length - 1 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await logOf(ledger)).toHaveLength(grown.length);
  });

  it('runs one replay verification at a time: another call meanwhile gets 429 with Retry-After', async () => {
    const request = { methodologyId: 'cchc', period: '2023' };
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${ledger.url}/v1/ops/verify-replay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ledger.ownerKey}` },
          body: JSON.stringify(request),
        }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 429, 429, 429, 429]);
    for (const r of replies.filter((x) => x.status === 429))
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const verified = (await replies.find((r) => r.status === 200)?.json()) as { verified: boolean };
    expect(verified.verified).toBe(true);
  });
});
