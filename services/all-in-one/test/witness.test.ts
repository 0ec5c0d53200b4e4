import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifier, cosignWithGo } from '../../../packages/transparency-log/test/go-verifier.ts';
import { SEED } from './seed.ts';
import { ledgerCli, startTestLedger, type TestLedger } from './support.ts';

/**
 * A checkpoint an independent witness cosigned (C2SP tlog-cosignature, here by the reference Go
 * implementation acting as the witness): `ledger verify --witness` requires that cosignature.
 */
describe('ledger verify --witness', () => {
  let ledger: TestLedger;
  let logKey: string;
  const witness = generateKey('witness.example.org/w1');
  const files = { cosigned: '', bare: '' };
  const verify = (...args: string[]) =>
    ledgerCli(['verify', '--key', logKey, ...args], { LEDGER_DATA_DIR: ledger.dataDir });

  beforeAll(async () => {
    buildVerifier();
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    await ledger.settled();
    expect((await ledger.post('/v1/ops/log/checkpoint', {})).status).toBe(201);
    logKey = (await fetch(`${ledger.url}/v1/log/key`).then((r) => r.text())).trim();
    const note = await fetch(`${ledger.url}/v1/log/checkpoint`).then((r) => r.text());
    files.bare = join(ledger.dataDir, 'kept.txt');
    files.cosigned = join(ledger.dataDir, 'kept-cosigned.txt');
    await writeFile(files.bare, note);
    await writeFile(files.cosigned, cosignWithGo(note, logKey, witness.signerKey));
  }, 300_000);
  afterAll(() => ledger?.dispose());

  it('passes when each witness required cosigned the checkpoint given, and says when', async () => {
    const run = await verify('--checkpoint', files.cosigned, '--witness', witness.verifierKey);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^cosigned by the witness witness\.example\.org\/w1\+[0-9a-f]{8} at \d{4}-\d\d-\d\dT/m,
    );
    const json = JSON.parse(
      (await verify('--checkpoint', files.cosigned, '--witness', witness.verifierKey, '--json')).stdout,
    );
    expect(json.checkpoint.cosignatures).toHaveLength(1);
  });

  it('fails without that cosignature, or with another witness’s; a bad witness key or no checkpoint is bad usage', async () => {
    const bare = await verify('--checkpoint', files.bare, '--witness', witness.verifierKey);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/carries no cosignature by the witness witness\.example\.org\/w1\+/);
    const other = await verify(
      '--checkpoint',
      files.cosigned,
      '--witness',
      generateKey('witness.example.org/w2').verifierKey,
    );
    expect(other.code).toBe(1);
    expect((await verify('--checkpoint', files.cosigned, '--witness', 'not-a-key')).code).toBe(2);
    expect((await verify('--witness', witness.verifierKey)).code).toBe(2);
    // Without --witness, the cosigned checkpoint verifies as any kept checkpoint does.
    expect((await verify('--checkpoint', files.cosigned)).code).toBe(0);
  });
});
