import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '@ledger/domain';
import {
  eventLeafHash,
  generateKey,
  openCheckpoint,
  signCheckpoint,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCli, startTestLedger, type TestLedger } from './support.ts';

describe('tamper evidence: signed checkpoints, proofs and the verifier', () => {
  let ledger: TestLedger;
  let key: string;
  let keptNote: string;
  let keptFile: string;
  let copies = 0;

  /** A copy of the store with one SQL change applied: the tampered ledger an auditor is handed. */
  const tampered = async (...statements: string[]) => {
    const copy = join(ledger.dataDir, `copy-${++copies}.sqlite`);
    await copyFile(ledger.databasePath, copy);
    const db = new DatabaseSync(copy);
    for (const sql of statements) db.exec(sql);
    db.close();
    return copy;
  };
  const verify = (storePath: string, checkpoint = keptFile, verifierKey = key) =>
    ledgerCli(['verify', '--checkpoint', checkpoint, '--key', verifierKey], {
      LEDGER_STORE: `sqlite:${storePath}`,
    });

  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on', LEDGER_CHECKPOINT_INTERVAL: '0' });
    await ledger.settled();
    key = (await fetch(`${ledger.url}/v1/log/key`).then((r) => r.text())).trim();
    const signed = await ledger.post('/v1/ops/log/checkpoint', {});
    expect(signed.status).toBe(201);
    keptNote = await fetch(`${ledger.url}/v1/log/checkpoint`).then((r) => r.text());
    keptFile = join(ledger.dataDir, 'kept-checkpoint.txt');
    await writeFile(keptFile, keptNote);
    // A later write, so that the log has moved on since the checkpoint the auditor kept.
    await ledger.post('/v1/submissions', {
      unitId: '754',
      indicator: 'satisfaction',
      period: '2024',
      value: 90,
    });
    const db = new DatabaseSync(ledger.databasePath);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
  });
  afterAll(() => ledger.dispose());

  it('signs C2SP checkpoints with the key it publishes, and records them in the log', async () => {
    const checkpoint = openCheckpoint(keptNote, key);
    expect(checkpoint.origin).toBe('indicator-ledger.example/log');
    expect(keptNote).toMatch(
      /^indicator-ledger\.example\/log\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 indicator-ledger\.example\/log [A-Za-z0-9+/=]+\n$/,
    );
    const ranking = await ledger.get(`/v1/rankings/cchc-district/2023?atPosition=${checkpoint.size}`);
    expect(ranking.body.log.size).toBe(checkpoint.size);
    expect(Buffer.from(ranking.body.log.root, 'base64')).toEqual(Buffer.from(checkpoint.root));
  });

  it('an unaltered copy verifies and extends the kept checkpoint', async () => {
    const run = await verify(await tampered());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^verified: \d+ events; 1 checkpoint recorded in the log matches it; it extends the checkpoint given/,
    );
  });

  const position = 40;
  const mutations: [string, string[]][] = [
    ['event data', [`UPDATE events SET data = json_set(data, '$.value', 12.5) WHERE position = ${position}`]],
    [
      'metadata',
      [
        `UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') WHERE position = ${position}`,
      ],
    ],
    [
      'order',
      [
        `UPDATE events SET position = -1 WHERE position = ${position}`,
        `UPDATE events SET position = ${position} WHERE position = ${position + 1}`,
        `UPDATE events SET position = ${position + 1} WHERE position = -1`,
      ],
    ],
    ['deletion', [`DELETE FROM events WHERE position = ${position}`]],
    [
      'insertion',
      [
        'UPDATE events SET position = position + 1000000 WHERE position > 40',
        'UPDATE events SET position = position - 999999 WHERE position > 1000000',
        `INSERT INTO events SELECT 41, '0190a0b4-0000-7000-8000-00000000abcd', 'value:inserted', 0, type, schema_version, recorded_at, data, metadata FROM events WHERE position = ${position}`,
      ],
    ],
    ['truncation', [`DELETE FROM events WHERE position > ${position}`]],
  ];
  for (const [what, sql] of mutations) {
    it(`rejects a copy of the log altered by ${what}, with one line and exit code 1`, async () => {
      const run = await verify(await tampered(...sql));
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^ledger: (the checkpoint (recorded at position \d+|given)|the log)/);
    });
  }

  it('rejects a checkpoint signed by another key', async () => {
    const other = generateKey('indicator-ledger.example/log');
    const checkpoint = openCheckpoint(keptNote, key);
    const forged = join(ledger.dataDir, 'forged.txt');
    await writeFile(forged, signCheckpoint(checkpoint, other.signerKey));
    const run = await verify(await tampered(), forged);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ledger: the checkpoint given: /);
  });

  it('serves inclusion and consistency proofs that verify, and fail for another size', async () => {
    const checkpoint = openCheckpoint(keptNote, key);
    const events = (await ledger.get('/v1/events?after=39&limit=1')).body.events as RecordedEvent[];
    const proof = await ledger.get(`/v1/log/proofs/inclusion?position=40&size=${checkpoint.size}`);
    expect(proof.status).toBe(200);
    expect(verifyInclusionProof(proof.body, checkpoint, eventLeafHash(events[0] as RecordedEvent))).toBe(
      true,
    );
    const smaller = await ledger.get(`/v1/log/proofs/inclusion?position=40&size=${checkpoint.size - 1}`);
    expect(verifyInclusionProof(smaller.body, checkpoint)).toBe(false);

    const newer = await ledger.post('/v1/ops/log/checkpoint', {});
    const newerCheckpoint = openCheckpoint(newer.body.note, key);
    expect(newerCheckpoint.size).toBeGreaterThan(checkpoint.size);
    const consistency = await ledger.get(
      `/v1/log/proofs/consistency?from=${checkpoint.size}&to=${newerCheckpoint.size}`,
    );
    expect(verifyConsistencyProof(consistency.body, checkpoint, newerCheckpoint)).toBe(true);
    const wrong = await ledger.get(
      `/v1/log/proofs/consistency?from=${checkpoint.size - 1}&to=${newerCheckpoint.size}`,
    );
    expect(verifyConsistencyProof(wrong.body, checkpoint, newerCheckpoint)).toBe(false);
  });

  it('the CLI computes the same proofs from the log as the server serves', async () => {
    const checkpoint = openCheckpoint(keptNote, key);
    const env = { LEDGER_STORE: `sqlite:${ledger.databasePath}` };
    const cli = await ledgerCli(['proof', '--position', '40', '--size', String(checkpoint.size)], env);
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout);
    const served = await ledger.get(`/v1/log/proofs/inclusion?position=40&size=${checkpoint.size}`);
    expect(fromCli).toEqual(served.body);
    expect(verifyInclusionProof(fromCli, checkpoint)).toBe(true);
    const consistency = await ledgerCli(
      ['proof', '--from', String(checkpoint.size - 10), '--to', String(checkpoint.size)],
      env,
    );
    expect(JSON.parse(consistency.stdout).proof.length).toBeGreaterThan(0);
    expect((await ledgerCli(['proof', '--position', '999999'], env)).code).toBe(2);
  });

  it('recomputes a ranking from the leaves of the kept checkpoint', async () => {
    const run = await ledgerCli(
      [
        'replay',
        '--methodology',
        'cchc-district',
        '--period',
        '2023',
        '--as-of',
        '2024-01-31',
        '--checkpoint',
        keptFile,
        '--key',
        key,
      ],
      { LEDGER_STORE: `sqlite:${ledger.databasePath}` },
    );
    expect(run.code).toBe(0);
    const served = await ledger.get('/v1/rankings/cchc-district/2023?asOf=2024-01-31');
    const lines = run.stdout.trim().split('\n');
    expect(lines.slice(0, 8)).toEqual(
      served.body.rows.map(
        (r: { rank: number; unitId: string; unitName: string; total: number }) =>
          `${r.rank}\t${r.unitId}\t${r.unitName}\t${r.total}`,
      ),
    );
    expect(lines[8]).toMatch(/^computed at position \d+ from the \d+ leaves of checkpoint /);
  });
});
