import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createMerkleTree, generateKey, signCheckpoint } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

let dir: string;

/** Runs `pnpm ledger …` as its own process on an empty ledger of the test's directory. */
const ledger = (...args: string[]) => runCli(dir, ...args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-cli-usage-'));
  const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
  await store.head();
  await store.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the ledger CLI’s exit codes and help', () => {
  it('exits 2, not 1, on a verifier key that is not one', async () => {
    const run = await ledger('verify', '--key', 'not-a-key');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^ledger: --key is not a verifier key/);
  });

  it('exits 2 on a kept checkpoint that is not a signed checkpoint, 1 on one signed by another key', async () => {
    const key = generateKey('indicator-ledger.example/log');
    const garbage = join(dir, 'garbage.checkpoint');
    await writeFile(garbage, 'this is no checkpoint\n');
    const unreadable = await ledger('verify', '--checkpoint', garbage, '--key', key.verifierKey);
    expect(unreadable.code, unreadable.stderr).toBe(2);
    expect(unreadable.stderr).toMatch(/the checkpoint given/);

    const other = generateKey('indicator-ledger.example/log');
    const signed = join(dir, 'other-key.checkpoint');
    await writeFile(
      signed,
      signCheckpoint(
        { origin: 'indicator-ledger.example/log', size: 0, root: createMerkleTree().root(0) },
        other.signerKey,
      ),
    );
    const failed = await ledger('verify', '--checkpoint', signed, '--key', key.verifierKey);
    expect(failed.code, failed.stderr).toBe(1);
  });

  it('exits 2 on a period that is not one', async () => {
    const run = await ledger('replay', '--methodology', 'cchc', '--period', '2023-13');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--period 2023-13 is not a period/);
  });

  it('prints a command’s own help with --help and with ledger help <command>, and everything with ledger help', async () => {
    const own = await ledger('verify', '--help');
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^ledger verify \[options\]/);
    expect(own.stdout).not.toMatch(/\breplay +--methodology/);
    expect((await ledger('help', 'verify')).stdout).toBe(own.stdout);
    const all = await ledger('help');
    expect(all.code).toBe(0);
    for (const command of ['replay', 'diff', 'export', 'import', 'seal', 'verify', 'proof', 'access'])
      expect(all.stdout, command).toMatch(new RegExp(`^  ${command} `, 'm'));
    const unknown = await ledger('help', 'frobnicate');
    expect(unknown.code).toBe(2);
  });
});
