import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers read by the test
const json = async (url: string): Promise<any> => (await fetch(url)).json();

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

/** `pnpm start` runs exactly this: the all-in-one server as its own process. */
function startProcess(env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', MAIN],
    {
      env: { ...process.env, HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Resolves with the URL from the "ready" log line. */
async function readyUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg === 'indicator ledger ready' && entry.url) return entry.url;
  }
  throw new Error('the process ended before it was ready');
}

describe('the all-in-one process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ledger-process-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('refuses a wrong setting with a message that names it, and does not start', async () => {
    const child = startProcess({ PORT: 'eighty', LEDGER_DEMO: 'maybe', LEDGER_DATA_DIR: dataDir });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('PORT="eighty"');
    expect(stderr).toContain('LEDGER_DEMO="maybe": must be on or off');
  });

  it('starts with the demo, serves rankings, and stops cleanly on SIGTERM; a restart keeps the log', async () => {
    const first = startProcess({ PORT: '0', LEDGER_DATA_DIR: dataDir });
    const url = await readyUrl(first);
    const ranking = await json(`${url}/v1/rankings/cchc-district/2023?asOf=2024-01-15`);
    expect(ranking.rows).toHaveLength(8);
    const { next: head } = await json(`${url}/v1/events?after=0&limit=1000`);
    expect(head).toBeGreaterThan(100);
    first.kill('SIGTERM');
    expect((await once(first, 'exit'))[0]).toBe(0);

    // The same data directory again: the demo is not loaded twice, and the answers are the same.
    const second = startProcess({ PORT: '0', LEDGER_DATA_DIR: dataDir });
    const url2 = await readyUrl(second);
    const events = await json(`${url2}/v1/events?after=${head}&limit=10`);
    expect(events.events).toEqual([]);
    const again = await json(`${url2}/v1/rankings/cchc-district/2023?asOf=2024-01-15`);
    expect(again).toEqual(ranking);
    second.kill('SIGINT');
    expect((await once(second, 'exit'))[0]).toBe(0);
  });
});
