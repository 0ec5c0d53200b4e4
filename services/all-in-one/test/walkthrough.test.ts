import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from './support.ts';

const README = new URL('../../../README.md', import.meta.url);

/** The walkthrough's shell blocks, and the output blocks shown after them, in order. */
async function walkthrough() {
  const text = await readFile(README, 'utf8');
  const section = text.split('\n## Walkthrough')[1]?.split('\n## ')[0] ?? '';
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  return {
    script: blocks
      .filter((b) => b[1] === 'sh')
      .map((b) => b[2])
      .join('\n'),
    expected: blocks
      .filter((b) => b[1] === '')
      .map((b) => b[2])
      .join(''),
  };
}

describe('the README walkthrough', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on' });
    await ledger.settled();
  });
  afterAll(() => ledger.dispose());

  it('gives, against a fresh demo ledger, exactly the outputs the README shows', async () => {
    const { script, expected } = await walkthrough();
    expect(script).toContain('curl');
    expect(expected.split('\n').length).toBeGreaterThan(20);
    const { stdout } = await promisify(execFile)('bash', [
      '-euo',
      'pipefail',
      '-c',
      script
        .replaceAll('localhost:8080', `127.0.0.1:${ledger.port}`)
        .replaceAll('data/admin.key', ledger.adminKeyPath),
    ]);
    expect(stdout).toBe(expected);
  });
});
