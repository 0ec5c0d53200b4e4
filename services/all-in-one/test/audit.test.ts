import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCli, logOf, startTestLedger, type TestLedger } from './support.ts';

describe('auditing the demo ledger', () => {
  let ledger: TestLedger;
  let env: Record<string, string>;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on' });
    await ledger.settled();
    env = { LEDGER_STORE: `sqlite:${ledger.databasePath}` };
  });
  afterAll(() => ledger.dispose());

  it('shows what changed between two dates and the correction that caused it', async () => {
    const reply = await ledger.get('/v1/rankings/cchc-district/2023/diff?from=2024-01-15&to=2024-01-31');
    expect(reply.status).toBe(200);
    expect(reply.body.from).toMatchObject({ methodologyVersion: 2 });
    const [longDien, xuyenMoc] = reply.body.changes;
    expect(longDien).toMatchObject({
      unitId: '752',
      unitName: 'H. Long Điền',
      rankFrom: 6,
      rankTo: 5,
      totalFrom: 89.01,
      totalTo: 90.91,
    });
    expect(longDien.causes).toHaveLength(1);
    expect(longDien.causes[0]).toMatchObject({
      type: 'ledger.value-corrected.v1',
      recordedAt: '2024-01-22T08:30:00.000Z',
      metadata: { actor: 'svc:so-noi-vu-brvt' },
      data: { indicator: 'online-dossiers', previousValue: 72.4, value: 89.9 },
    });
    // Xuyên Mộc's own inputs did not change: it moved because Long Điền passed it.
    expect(xuyenMoc).toMatchObject({ unitId: '751', rankFrom: 5, rankTo: 6, causes: [] });
    expect(reply.body.changes).toHaveLength(2);
    expect(
      (await ledger.get('/v1/rankings/cchc-district/2023/diff?from=2024-01-31&to=2024-01-15')).status,
    ).toBe(400);
  });

  it('the CLI diff says the same from the raw log', async () => {
    const run = await ledgerCli(
      [
        'diff',
        '--methodology',
        'cchc-district',
        '--period',
        '2023',
        '--from',
        '2024-01-15',
        '--to',
        '2024-01-31',
      ],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('H. Long Điền (752): rank 6 → 5, total 89.01 → 90.91');
    expect(run.stdout).toContain('ledger.value-corrected.v1  by svc:so-noi-vu-brvt');
  });

  it('verifies that what the server serves is what a replay of the log in another process gives', async () => {
    const run = await ledgerCli(
      [
        'replay',
        '--methodology',
        'cchc-district',
        '--period',
        '2023',
        '--as-of',
        '2024-01-31',
        '--against',
        ledger.url,
      ],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^verified: 8 rows of cchc-district 2023 at position \d+ equal the replay/);
    const endpoint = await ledger.post('/v1/ops/verify-replay', {
      methodologyId: 'cchc-district',
      period: '2023',
      asOf: '2024-01-31',
    });
    expect(endpoint.body).toMatchObject({ verified: true });
  });

  it('reports the first event at which a tampered copy of the log diverges from what is served', async () => {
    const copy = join(ledger.dataDir, 'tampered.sqlite');
    const db = new DatabaseSync(ledger.databasePath);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    await copyFile(ledger.databasePath, copy);
    const tampered = new DatabaseSync(copy);
    const row = tampered
      .prepare(
        "SELECT position, data FROM events WHERE type = 'ledger.value-submitted.v1' AND stream_id = 'value:2023:754:satisfaction'",
      )
      .get() as { position: number; data: string };
    tampered
      .prepare('UPDATE events SET data = ? WHERE position = ?')
      .run(JSON.stringify({ ...JSON.parse(row.data), value: 70 }), row.position);
    tampered.close();
    const run = await ledgerCli(
      ['replay', '--methodology', 'cchc-district', '--period', '2023', '--against', ledger.url],
      {
        LEDGER_STORE: `sqlite:${copy}`,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^ledger: differs from position ${row.position} \\(ledger.value-submitted.v1 `),
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exports a ranking as CSV and JSON with Vietnamese names intact', async () => {
    const csv = await ledgerCli(
      ['export', '--methodology', 'cchc-district', '--period', '2023', '--as-of', '2024-01-31'],
      env,
    );
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(
      /^rank,unitId,unitName,total,indicatorsMet,indicatorsTotal,group:Tiến độ giải quyết,/,
    );
    expect(lines[1]).toMatch(/^1,754,TX. Phú Mỹ,99.96,/);
    const json = await ledgerCli(
      [
        'export',
        '--methodology',
        'cchc-district',
        '--period',
        '2023',
        '--as-of',
        '2024-01-31',
        '--format',
        'json',
      ],
      env,
    );
    const served = await ledger.get('/v1/rankings/cchc-district/2023?asOf=2024-01-31');
    const exported = JSON.parse(json.stdout);
    expect(exported.rows).toEqual(served.body.rows);
    // Tied to the log as the server ties its answer: the same instant, position and tree.
    expect(exported).toMatchObject({
      asOf: served.body.asOf,
      position: served.body.position,
      recordedAt: served.body.recordedAt,
      log: served.body.log,
    });
  });

  it('imports a CSV batch all or nothing', async () => {
    const before = await logOf(ledger);
    const bad = join(ledger.dataDir, 'bad.csv');
    await writeFile(
      bad,
      'unitId,indicator,period,value\n747,satisfaction,2024,91\n999,satisfaction,2024,90\n',
    );
    const refused = await ledgerCli(['import', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('ledger: refused (422): commands.1.body.unitId: unknown unit: 999\n');
    expect(await logOf(ledger)).toEqual(before);
    const good = join(ledger.dataDir, 'good.csv');
    await writeFile(
      good,
      'unitId,indicator,period,value,source\n747,satisfaction,2024,91,Khảo sát quý IV\n748,satisfaction,2024,88.5,Khảo sát quý IV\n',
    );
    const recorded = await ledgerCli(['import', good, '--actor', 'so-noi-vu'], env);
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toMatch(/^recorded 2 events/);
    const history = await ledger.get('/v1/history?unitId=748&indicator=satisfaction&period=2024');
    expect(history.body.events[0]).toMatchObject({
      data: { value: 88.5, source: 'Khảo sát quý IV' },
      metadata: { actor: 'so-noi-vu' },
    });
  });

  it('exits 2 with one line on bad usage', async () => {
    const run = await ledgerCli(['replay', '--methodology', 'cchc-district'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('ledger: --period is required\n');
    expect((await ledgerCli(['frobnicate'], env)).code).toBe(2);
  });
});
