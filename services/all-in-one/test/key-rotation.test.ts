import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey, keyHandle } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from './seed.ts';
import { ledgerCli, startTestLedger, type TestLedger } from './support.ts';

/**
 * The signing key changes, and an auditor who pinned only the first key still verifies the whole
 * log: a planned rotation (a statement signed by the old key and the new), then a loss (the key
 * file gone: the server refuses to start until the loss is acknowledged, and the log records it).
 */
describe('rotating and losing the log signing key', () => {
  let ledger: TestLedger;
  let dataDir: string;
  let firstKey: string;
  const settings = { LEDGER_CHECKPOINT_INTERVAL: '0' };
  const cli = (...args: string[]) => ledgerCli(args, { LEDGER_DATA_DIR: dataDir });
  const write = async (unitId: string) => {
    expect((await ledger.post('/v1/submissions', submission(unitId, 'on-time', 96).body)).status).toBe(201);
    await ledger.settled();
  };
  const checkpoint = async () => {
    const signed = await ledger.post('/v1/ops/log/checkpoint', {});
    expect(signed.status).toBe(201);
    return signed.body as { size: number; note: string };
  };
  const restart = async (env: Record<string, string> = {}) => {
    await ledger.stop();
    ledger = await startTestLedger({ ...settings, ...env, LEDGER_DATA_DIR: dataDir });
  };

  beforeAll(async () => {
    ledger = await startTestLedger(settings);
    dataDir = ledger.dataDir;
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    await ledger.settled();
    firstKey = (await ledger.get('/v1/log')).body.verifierKey;
    await checkpoint();
  });
  afterAll(() => ledger?.dispose());

  it('a planned rotation: later checkpoints are signed by the new key, and the first key verifies them all', async () => {
    const refused = await ledger.post('/v1/ops/log/key-rotation', { reason: 'x\u0007' });
    expect(refused.status).toBe(400);
    const rotated = await ledger.post('/v1/ops/log/key-rotation', { reason: 'yearly rotation' });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previousKey).toBe(firstKey);
    const secondKey = rotated.body.verifierKey as string;
    expect(secondKey).not.toBe(firstKey);
    expect((await fetch(`${ledger.url}/v1/log/key`).then((r) => r.text())).trim()).toBe(secondKey);
    const keys = (await ledger.get('/v1/log/keys')).body;
    expect(keys.statements).toHaveLength(1);
    expect(keys.statements[0]).toMatchObject({
      type: 'tlog.key-rotated.v1',
      actor: 'svc:owner',
      previousKey: firstKey,
      verifierKey: secondKey,
      reason: 'yearly rotation',
    });
    expect((await stat(join(dataDir, 'log-signing.key'))).mode & 0o777).toBe(0o600);

    await write('747');
    const after = await checkpoint();
    expect(after.note).toContain(`— ${keyHandle(secondKey).split('+')[0]} `);

    const withFirst = await cli('verify', '--key', firstKey, '--json');
    expect(withFirst.code, withFirst.stderr).toBe(0);
    const report = JSON.parse(withFirst.stdout);
    expect(report).toMatchObject({ verified: true, recordedCheckpoints: 2, losses: [] });
    expect(
      report.keys.map((k: { key: string; trust: string; checkpoints: number }) => [
        k.key,
        k.trust,
        k.checkpoints,
      ]),
    ).toEqual([
      [keyHandle(firstKey), 'pinned', 1],
      [keyHandle(secondKey), 'rotation', 1],
    ]);
    // The new key alone vouches for the old one too (it signed the rotation), and a keyring works.
    expect((await cli('verify', '--key', secondKey)).code).toBe(0);
    expect((await cli('verify', '--key', firstKey, '--key', secondKey)).code).toBe(0);
    // A key the log never used vouches for nothing.
    const stranger = await cli('verify', '--key', generateKey('indicator-ledger.example/log').verifierKey);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/no key you pinned/);

    // The server keeps signing with the new key after a restart.
    await restart();
    expect((await ledger.get('/v1/log')).body.verifierKey).toBe(secondKey);
  });

  it('a lost key stops the signer, until its loss is acknowledged and recorded; verify then reports it', async () => {
    const secondKey = (await ledger.get('/v1/log')).body.verifierKey as string;
    await ledger.stop();
    await rename(join(dataDir, 'log-signing.key'), join(dataDir, 'elsewhere.key'));
    await expect(startTestLedger({ ...settings, LEDGER_DATA_DIR: dataDir })).rejects.toThrow(
      new RegExp(
        `signed by the key ${keyHandle(secondKey).replace(/[.+]/g, '\\$&')}, and .*log-signing.key is missing.*LEDGER_LOG_KEY_LOST=`,
      ),
    );
    // Naming another key than the one the log expects acknowledges nothing.
    await expect(
      startTestLedger({
        ...settings,
        LEDGER_DATA_DIR: dataDir,
        LEDGER_LOG_KEY_LOST: keyHandle(firstKey),
        LEDGER_LOG_KEY_LOSS_REASON: 'wrong one',
      }),
    ).rejects.toThrow(/is missing/);
    await rm(join(dataDir, 'elsewhere.key'));

    ledger = await startTestLedger({
      ...settings,
      LEDGER_DATA_DIR: dataDir,
      LEDGER_LOG_KEY_LOST: keyHandle(secondKey),
      LEDGER_LOG_KEY_LOSS_REASON: 'backup restored without the key',
    });
    const thirdKey = (await ledger.get('/v1/log')).body.verifierKey as string;
    expect(thirdKey).not.toBe(secondKey);
    const statements = (await ledger.get('/v1/log/keys')).body.statements;
    expect(statements.at(-1)).toMatchObject({
      type: 'tlog.key-loss-acknowledged.v1',
      lostKey: keyHandle(secondKey),
      verifierKey: thirdKey,
      reason: 'backup restored without the key',
    });
    await write('748');
    await checkpoint();
    // Once recorded, the setting has no effect: the next start signs with the third key.
    await restart({ LEDGER_LOG_KEY_LOST: keyHandle(secondKey), LEDGER_LOG_KEY_LOSS_REASON: 'again' });
    expect((await ledger.get('/v1/log')).body.verifierKey).toBe(thirdKey);
    expect((await ledger.get('/v1/log/keys')).body.statements).toHaveLength(2);

    const verified = await cli('verify', '--key', firstKey, '--json');
    expect(verified.code, verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.keys.map((k: { trust: string }) => k.trust)).toEqual(['pinned', 'rotation', 'loss']);
    expect(report.losses).toEqual([
      expect.objectContaining({
        lostKey: keyHandle(secondKey),
        nextKey: keyHandle(thirdKey),
        reason: 'backup restored without the key',
        actor: 'checkpointer',
      }),
    ]);
    const text = await cli('verify', '--key', firstKey);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/key loss/i);
    const strict = await cli('verify', '--key', firstKey, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/loss of key/);
    // Pinned only after the loss, the key cannot vouch for the checkpoints before it.
    const late = await cli('verify', '--key', thirdKey);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/chain breaks at the loss/);
  });

  it('ledger rotate-key asks the server, as the principal whose credential it is given', async () => {
    const server = ['rotate-key', '--server', ledger.url, '--reason', 'rotated from the CLI'];
    const without = await ledgerCli(server, { LEDGER_CREDENTIAL: '' });
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/LEDGER_CREDENTIAL/);
    const forged = await ledgerCli(server, { LEDGER_CREDENTIAL: `ilk_${'0'.repeat(16)}_${'0'.repeat(64)}` });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/refused \(401\)/);
    const before = (await ledger.get('/v1/log')).body.verifierKey as string;
    const rotated = await ledgerCli([...server, '--json'], { LEDGER_CREDENTIAL: ledger.ownerKey as string });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ previousKey: before });
    await write('754');
    await checkpoint();
    const report = JSON.parse((await cli('verify', '--key', firstKey, '--json')).stdout);
    expect(report.keys.map((k: { trust: string }) => k.trust)).toEqual([
      'pinned',
      'rotation',
      'loss',
      'rotation',
    ]);
  });
});
