/**
 * The all-in-one's logs as an operator collects them: `pnpm -s start` as a real process (the demo
 * loaded, so the scoring thread logs too), a few requests, SIGTERM; then every line of its stdout is
 * one JSON object with no key twice and the fields of docs/operations.md ("Logs"), and nothing is
 * printed on stderr (no process warning). The split services' logs are checked the same way by
 * readme-split.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@ledger/bus-kafka/broker-script';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLogLines, missingBaseFields } from './json-lines.ts';

describe("the all-in-one's log lines", () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ledger-logs-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are each one JSON object with unique keys and the documented fields', { timeout: 90_000 }, async () => {
    child = spawn('pnpm', ['-s', 'start'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LEDGER_DATA_DIR: dataDir, LEDGER_DEMO: 'on' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = once(child, 'exit');
    let url: string | undefined;
    for (let i = 0; i < 600 && !url; i++) {
      if (child.exitCode !== null) throw new Error(`pnpm start exited:\n${stdout}\n${stderr}`);
      url = /"url":"(http:[^"]+)","databasePath"[^\n]*"msg":"indicator ledger ready"/.exec(stdout)?.[1];
      if (!url) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!url) throw new Error(`no "indicator ledger ready" line:\n${stdout}\n${stderr}`);
    const key = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();

    const read = await fetch(`${url}/v1/rankings/cchc-district/2023?asOf=2024-01-15`, {
      headers: { 'x-request-id': 'req-read-1' },
    });
    expect(read.status).toBe(200);
    const write = await fetch(`${url}/v1/submissions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-write-1',
        'x-correlation-id': 'corr-write-1',
      },
      body: JSON.stringify({ unitId: '754', indicator: 'satisfaction', period: '2024', value: 88.5 }),
    });
    expect(write.status).toBe(201);
    const refused = await fetch(`${url}/v1/submissions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer not-a-key',
        'content-type': 'application/json',
        'x-request-id': 'req-401',
      },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect((await fetch(`${url}/v1/nothing-here`, { headers: { 'x-request-id': 'req-404' } })).status).toBe(
      404,
    );
    // The scores of the write, recorded by the scoring thread, before the process stops.
    await new Promise((resolve) => setTimeout(resolve, 500));

    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);

    expect(stderr).toBe('');
    const { lines, problems } = checkLogLines(stdout);
    expect(problems).toEqual([]);
    expect(lines.length).toBeGreaterThan(10);
    for (const { entry, line } of lines) expect(missingBaseFields(entry, 'ledger'), line).toEqual([]);

    // The scoring thread's lines: the ones that repeated "name" before.
    const scoring = lines.filter(({ entry }) => entry.module === 'scoring');
    expect(scoring.length).toBeGreaterThan(0);
    expect(scoring.map(({ entry }) => entry.msg)).toContain('scoring live');

    const completed = (requestId: string) =>
      lines.find(
        ({ entry }) => entry.msg === 'request completed' && (entry.req as { id?: string }).id === requestId,
      )?.entry;
    expect(completed('req-read-1')).toMatchObject({
      level: 30,
      correlationId: 'req-read-1',
      req: { method: 'GET' },
      res: { statusCode: 200 },
    });
    expect(completed('req-read-1')).not.toHaveProperty('principal');
    expect(completed('req-write-1')).toMatchObject({
      correlationId: 'corr-write-1',
      principal: 'svc:owner',
      req: { method: 'POST', url: '/v1/submissions' },
      res: { statusCode: 201 },
    });
    expect(typeof completed('req-write-1')?.responseTime).toBe('number');
    expect(completed('req-401')).toMatchObject({ res: { statusCode: 401 } });
    expect(completed('req-401')).not.toHaveProperty('principal');
    expect(completed('req-404')).toMatchObject({ res: { statusCode: 404 } });
    // The refusal's own warning carries the request it belongs to.
    expect(
      lines.some(
        ({ entry }) => entry.level === 40 && (entry.req as { id?: string } | undefined)?.id === 'req-401',
      ),
    ).toBe(true);
    expect(lines.at(-1)?.entry.msg).toBe('stopped');
  });
});
