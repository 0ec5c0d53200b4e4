import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED, submission } from './seed.ts';
import { ledgerCli, logOf, recordAsEarlierVersion, startTestLedger, type TestLedger } from './support.ts';

/**
 * A log written by an earlier version, which let in what the door now refuses. Nothing is ever
 * skipped: each reader stops at such an event and says where and why, the server still starts (so
 * that ops can read why on /readyz), and the auditor's CLI names the event.
 */
describe('a log that holds what an earlier version let in', () => {
  let ledger: TestLedger | undefined;
  afterEach(async () => {
    await ledger?.dispose();
    ledger = undefined;
  });

  /** A seeded ledger, stopped, with `events` appended as an earlier version would have, started again. */
  const withEarlierEvents = async (events: Parameters<typeof recordAsEarlierVersion>[1][]) => {
    const first = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await first.post('/v1/batch', SEED)).status).toBe(201);
    await first.post('/v1/ops/log/checkpoint', {});
    await first.stop();
    const positions = events.map((e) => recordAsEarlierVersion(first.databasePath, e));
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0', LEDGER_DATA_DIR: first.dataDir });
    return { positions, store: `sqlite:${first.databasePath}`, dataDir: first.dataDir };
  };

  const ops = async () => {
    const reply = await (ledger as TestLedger).get('/v1/ops/projections');
    return Object.fromEntries(reply.body.projections.map((p: { name: string }) => [p.name, p])) as Record<
      string,
      { status: string; error?: { position: number; message: string } | string }
    >;
  };

  it('a lone surrogate: the projection and scoring stop at it, the server says why, and ledger verify names it', async () => {
    const lone = {
      ...submission('747', 'on-time', 97).body,
      source: 'x \ud800',
      submissionId: crypto.randomUUID(),
    };
    const { positions, store, dataDir } = await withEarlierEvents([
      {
        streamId: 'value:2023:747:on-time',
        type: 'ledger.value-submitted.v1',
        data: { ...lone, reportedAt: null },
      },
    ]);
    const [at] = positions;
    const l = ledger as TestLedger;
    const ready = await l.get('/readyz');
    expect(ready.status).toBe(503);
    const state = await ops();
    expect(state['as-of-index']?.status).toBe('failed');
    expect(state['as-of-index']?.error).toMatchObject({ position: at });
    expect(state.scoring?.status).toBe('failed');
    expect(state.scoring?.error).toMatch(`position ${at}`);
    // Never skipped: the event is in the log, and a read as of the time before it still answers.
    expect((await logOf(l)).map((e) => e.position)).toContain(at);
    const before = await l.get(`/v1/rankings/cchc/2023?atPosition=${(at as number) - 1}`);
    expect(before.status).toBe(200);
    expect(before.body.rows).toHaveLength(3);

    const key = (await readFile(join(dataDir, 'log-verifier.key'), 'utf8')).trim();
    const verify = await ledgerCli(['verify', '--key', key], { LEDGER_STORE: store });
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(`the event at position ${at} (ledger.value-submitted.v1`);
    expect(verify.stderr).toMatch(/cannot be hashed: .*[Ll]one surrogate/);
    expect(verify.stderr).not.toMatch(/out of order/);
  });

  it('a methodology whose scores overflow: scoring stops at the input, naming it, and records no score no reader could take', async () => {
    const { dataDir } = await withEarlierEvents([
      {
        streamId: 'methodology:unbounded',
        type: 'ledger.methodology-published.v1',
        data: {
          methodologyId: 'unbounded',
          version: 1,
          name: 'Không giới hạn',
          level: 'district',
          appliesFrom: null,
          indicators: [{ indicator: 'on-time', group: 'Tiến độ', rule: { kind: 'scaled', factor: 1e308 } }],
        },
      },
    ]);
    const l = ledger as TestLedger;
    const written = await l.post('/v1/submissions', submission('747', 'on-time', 97).body);
    expect(written.status).toBe(201);
    const stopped = async () => {
      for (let i = 0; i < 200; i++) {
        const state = (await ops()).scoring;
        if (state?.status === 'failed') return state;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error('scoring did not stop');
    };
    const state = await stopped();
    expect(state.error).toMatch(`position ${written.body.position} (ledger.value-submitted.v1`);
    expect(state.error).toMatch(/its scores cannot be recorded: .*Infinity, which JSON cannot hold/);
    const log = await logOf(l);
    expect(log.filter((e) => e.type === 'ledger.score-computed.v1')).toHaveLength(0);
    // It does not exit: after a restart it stops at the same place, and says so.
    await l.stop();
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0', LEDGER_DATA_DIR: dataDir });
    const again = (await ops()).scoring;
    expect(again?.status).toBe('failed');
    expect(again?.error).toMatch(`position ${written.body.position}`);
  });

  it('names that deceive: ledger replay escapes them, ledger export writes no cell a spreadsheet runs', async () => {
    const names = [
      '\u001b[2J\u001b[HH. Giả',
      'TP. Thật\u202Eoảđ',
      '=HYPERLINK("http://example.invalid","Nhấn")',
      "+cmd|' /C calc'!A0",
      'H. Một\tHai',
    ];
    const { store } = await withEarlierEvents(
      names.map((name, i) => ({
        streamId: `unit:X${i}`,
        type: 'ledger.unit-registered.v1',
        data: {
          unitId: `X${i}`,
          name,
          level: 'district',
          parentId: '77',
          validFrom: null,
          validTo: null,
          successorId: null,
        },
      })),
    );
    const replay = await ledgerCli(['replay', '--methodology', 'cchc', '--period', '2023'], {
      LEDGER_STORE: store,
    });
    expect(replay.code).toBe(0);
    for (const raw of ['\u001b', '\u202e']) expect(replay.stdout).not.toContain(raw);
    const lines = replay.stdout.trim().split('\n');
    expect(lines).toHaveLength(3 + names.length);
    for (const line of lines) expect(line.split('\t')).toHaveLength(4);
    expect(replay.stdout).toContain('\\u{1b}[2J\\u{1b}[HH. Giả');
    expect(replay.stdout).toContain('H. Một\\u{9}Hai');

    const csv = await ledgerCli(['export', '--methodology', 'cchc', '--period', '2023'], {
      LEDGER_STORE: store,
    });
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as { unitName: string }[];
    const cells = rows.map((r) => r.unitName);
    expect(cells).toContain('\'=HYPERLINK("http://example.invalid","Nhấn")');
    expect(cells).toContain("'+cmd|' /C calc'!A0");
    for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);

    const json = await ledgerCli(
      ['export', '--methodology', 'cchc', '--period', '2023', '--format', 'json'],
      {
        LEDGER_STORE: store,
      },
    );
    for (const raw of ['\u001b', '\u202e', '\t']) expect(json.stdout).not.toContain(raw);
    // The same value, escaped: a JSON reader gets the names back as they are in the log.
    const exported = JSON.parse(json.stdout) as { rows: { unitName: string }[] };
    for (const name of names) expect(exported.rows.map((r) => r.unitName)).toContain(name);
  });
});
