import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_SIGNED, LOG_KEY_ROTATED, type RecordedEvent } from '@ledger/domain';
import { createLogger } from '@ledger/http';
import { generateKey, keyHandle, signCheckpoint, signKeyRotation } from '@ledger/transparency-log';
import { beforeEach, describe, expect, it } from 'vitest';
import { keyFiles, LogKeyMissing, resolveLogKeys } from '../src/log-keys.ts';

const origin = 'ledger.example.gov.vn/indicators';
const logger = createLogger('test', 'silent');
const tree = { origin, size: 3, root: new Uint8Array(32).fill(1) };

const recorded = (type: string, data: object): RecordedEvent => ({
  eventId: '0190a7e0-0000-7000-8000-000000000000',
  type,
  schemaVersion: 1,
  streamId: 'tlog:checkpoints',
  revision: 0,
  position: 4,
  recordedAt: '2024-01-05T02:00:00.000Z',
  data,
  metadata: { actor: 'checkpointer', correlationId: 'c', causationId: null },
});
const checkpointBy = (signerKey: string) =>
  recorded(CHECKPOINT_SIGNED, { ...tree, root: 'AQ==', note: signCheckpoint(tree, signerKey) });

/** Given the key files and the log's latest checkpoint or statement, when the signer starts, then… */
describe('the signing key the log expects', () => {
  let dir: string;
  const files = () => keyFiles(dir);
  const start = (tail: RecordedEvent | undefined, keyLoss?: { lostKey: string; reason: string }) =>
    resolveLogKeys({ keyDir: dir, origin, tail, keyLoss, logger });
  const old = generateKey(origin);
  const next = generateKey(origin);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'log-keys-'));
  });

  it('on a log without checkpoints, a key is generated (mode 0600) and kept', async () => {
    const { keys } = await start(undefined);
    expect((await stat(files().signer)).mode & 0o777).toBe(0o600);
    expect((await readFile(files().verifier, 'utf8')).trim()).toBe(keys.verifierKey);
    expect((await start(undefined)).keys).toEqual(keys);
  });

  it('signs with the key the latest checkpoint was signed by, and drops a next key no statement named', async () => {
    await writeFile(files().signer, old.signerKey);
    await writeFile(files().next, next.signerKey);
    const { keys, loss } = await start(checkpointBy(old.signerKey));
    expect(keys.verifierKey).toBe(old.verifierKey);
    expect(loss).toBeUndefined();
    expect(await readdir(dir)).not.toContain('log-signing.next.key');
  });

  it('completes a rotation the log recorded before a crash left the next key unpromoted', async () => {
    await writeFile(files().signer, old.signerKey);
    await writeFile(files().next, next.signerKey);
    const rotation = recorded(LOG_KEY_ROTATED, {
      ...tree,
      root: 'AQ==',
      previousKey: old.verifierKey,
      verifierKey: next.verifierKey,
      note: signKeyRotation(tree, old.signerKey, next.signerKey),
    });
    expect((await start(rotation)).keys.verifierKey).toBe(next.verifierKey);
    expect((await readFile(files().signer, 'utf8')).trim()).toBe(next.signerKey);
    expect(await readdir(dir)).not.toContain('log-signing.next.key');
  });

  it('refuses to start when the key is missing or another, naming the key the log expects and the recovery', async () => {
    const expected = keyHandle(old.verifierKey);
    await expect(start(checkpointBy(old.signerKey))).rejects.toThrow(LogKeyMissing);
    await expect(start(checkpointBy(old.signerKey))).rejects.toThrow(
      `signed by the key ${expected}, and ${files().signer} is missing`,
    );
    await writeFile(files().signer, next.signerKey);
    await expect(start(checkpointBy(old.signerKey))).rejects.toThrow(
      `${files().signer} holds the key ${keyHandle(next.verifierKey)}`,
    );
    await expect(start(checkpointBy(old.signerKey))).rejects.toThrow(`LEDGER_LOG_KEY_LOST=${expected}`);
    // Nothing was generated in its place.
    expect((await readFile(files().signer, 'utf8')).trim()).toBe(next.signerKey);
  });

  it('replaces the expected key only when its loss names it, keeping the file that was there aside', async () => {
    const expected = keyHandle(old.verifierKey);
    await writeFile(files().signer, next.signerKey);
    await expect(
      start(checkpointBy(old.signerKey), { lostKey: keyHandle(next.verifierKey), reason: 'wrong key named' }),
    ).rejects.toThrow(LogKeyMissing);
    const { keys, loss } = await start(checkpointBy(old.signerKey), {
      lostKey: expected,
      reason: 'disk lost',
    });
    expect(loss).toEqual({ lostKey: expected, reason: 'disk lost' });
    expect([old.verifierKey, next.verifierKey]).not.toContain(keys.verifierKey);
    // The new key waits as the next key until the log records the loss.
    expect((await readFile(files().next, 'utf8')).trim()).toBe(keys.signerKey);
    expect((await readdir(dir)).some((f) => f.startsWith('log-signing.key.replaced-'))).toBe(true);
  });
});
