/**
 * The README's "The split deployment" as a reader pastes it: its ```sh blocks, run in order in one
 * bash shell from the repository's root, against a real broker that the README's own
 * `pnpm -s kafka start` starts and its `pnpm -s kafka stop` stops.
 *
 * Made safe for a test, and only that: the broker gets its own state dir and a free pair of ports
 * (KAFKA_STATE_DIR, KAFKA_PORT in the environment, which broker.sh reads), so the broker of the
 * other tests is neither found nor stopped; `./data/split` becomes a temporary directory; the fixed
 * ports 8081–8083 become free ones (each start line gets `PORT=…`). After the start block the test
 * checks that /readyz answers 200 on each; after the stop block, that no process is left.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortPair, repoRoot, runBrokerScript } from '@ledger/bus-kafka/broker-script';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLogLines, missingBaseFields } from './json-lines.ts';

const README = join(repoRoot, 'README.md');

/** The section's shell blocks, and the output blocks shown after them, in order. */
async function section(): Promise<{ blocks: string[]; outputs: string }> {
  const text = await readFile(README, 'utf8');
  const body = text.split('\n## The split deployment')[1]?.split('\n## ')[0] ?? '';
  const fenced = [...body.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  return {
    blocks: fenced.filter((b) => b[1] === 'sh').map((b) => b[2] as string),
    outputs: fenced
      .filter((b) => b[1] === '')
      .map((b) => b[2])
      .join(''),
  };
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The processes of this user whose environment names `marker` (the services and pnpm started here). */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.includes(marker)) found.push(Number(entry));
  }
  return found;
}

describe("the README's split deployment, as pasted", () => {
  let dir: string;
  let brokerEnv: Record<string, string>;
  const services = ['ingestion', 'scoring', 'projection'] as const;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-readme-split-'));
    brokerEnv = { KAFKA_STATE_DIR: join(dir, 'kafka'), KAFKA_PORT: String(await freePortPair()) };
  });
  afterAll(async () => {
    // Whatever a failed run left: its processes, then its broker.
    for (const pid of await processesWith(`LEDGER_STORE=sqlite:${dir}/`)) process.kill(pid, 'SIGKILL');
    await runBrokerScript('stop', brokerEnv).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the broker and the three services, writes and reads, and stops them all', {
    timeout: 300_000,
  }, async () => {
    const { blocks, outputs } = await section();
    expect(blocks).toHaveLength(4);
    const [start, writeRead, ops, stop] = blocks as [string, string, string, string];
    expect(start).toContain('eval "$(pnpm -s kafka start)"');
    expect(stop).toContain('pnpm -s kafka stop');
    expect(stop.indexOf('kill')).toBeLessThan(stop.indexOf('kafka stop'));

    const ports = await Promise.all(services.map(() => freePort()));
    const split = join(dir, 'split');
    const safe = (block: string) => {
      let out = block.replace(/(?:\.\/)?data\/split/g, split);
      services.forEach((service, i) => {
        const port = String(ports[i]);
        out = out
          .replaceAll(`pnpm -s start:${service}`, `PORT=${port} pnpm -s start:${service}`)
          .replaceAll(String(8081 + i), port);
      });
      return out;
    };
    const portList = ports.join(' ');
    const script = [
      safe(start),
      // Checks of the test's own, between the blocks.
      `for p in ${portList}; do
           code="$(curl -s -o /dev/null -w '%{http_code}' "localhost:$p/readyz")"
           [ "$code" = 200 ] || { echo "localhost:$p/readyz answered $code" >&2; exit 9; }
         done
         echo "$SPLIT_PIDS" >${dir}/pids
         echo "== ready"`,
      safe(writeRead),
      'echo "== ops"',
      safe(ops),
      'echo "== stop"',
      safe(stop),
      'echo "== stopped"',
    ].join('\n');
    expect(script).not.toMatch(/808[123]/);

    const env: Record<string, string | undefined> = { ...process.env, ...brokerEnv };
    // The broker of the other tests must not be taken for the README's: broker.sh prints its own.
    delete env.KAFKA_BROKERS;
    delete env.LEDGER_KAFKA_NAMESPACE;
    const result = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: repoRoot,
      env,
      timeout: 280_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch(async (error: { stdout?: string; stderr?: string; message: string }) => {
      const logs = await Promise.all(
        services.map((s) => readFile(join(split, `${s}.log`), 'utf8').catch(() => '(no log)')),
      );
      throw new Error(
        `the README's blocks failed: ${error.message}\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}\n` +
          services.map((s, i) => `--- ${s}.log\n${logs[i]?.slice(-3000)}`).join('\n'),
      );
    });
    const [beforeReady, afterReady = ''] = result.stdout.split('== ready\n');
    expect(beforeReady).toBe('');
    const [written = '', rest = ''] = afterReady.split('== ops\n');
    // The write answered by ingestion, then the same unit read from projection: the output block
    // the README shows.
    expect(written).toBe(outputs);
    const [opsOut = '', stopped = ''] = rest.split('== stop\n');
    expect(opsOut).toContain('"as-of-index"');
    expect(stopped).toBe('== stopped\n');

    // The services (and the pnpm in front of each) are gone, and so is the README's broker.
    const pids = (await readFile(join(dir, 'pids'), 'utf8')).trim().split(/\s+/).map(Number);
    expect(pids).toHaveLength(3);
    expect(pids.filter(alive)).toEqual([]);
    expect(await processesWith(`LEDGER_STORE=sqlite:${split}/`)).toEqual([]);
    expect(await runBrokerScript('status', brokerEnv)).toMatch(/^stopped/);

    // Every line each service wrote (stdout and stderr both go to its log) is one JSON object
    // with no key twice, with the fields of docs/operations.md, "Logs".
    for (const service of services) {
      const { lines, problems } = checkLogLines(await readFile(join(split, `${service}.log`), 'utf8'));
      expect(problems, service).toEqual([]);
      expect(lines.length, service).toBeGreaterThan(3);
      for (const { entry, line } of lines) expect(missingBaseFields(entry, service), line).toEqual([]);
      // kafkajs's own lines, through the same logger.
      expect(
        lines.some(({ entry }) => entry.module === 'kafka' && typeof entry.namespace === 'string'),
        service,
      ).toBe(true);
      // It shut down cleanly on the README's kill (SIGTERM); kafkajs may log after that line.
      expect(
        lines.some(({ entry }) => entry.msg === 'stopped'),
        service,
      ).toBe(true);
    }
    const ingestion = checkLogLines(await readFile(join(split, 'ingestion.log'), 'utf8')).lines;
    const write = ingestion.find(
      ({ entry }) =>
        entry.msg === 'request completed' && (entry.res as { statusCode?: number })?.statusCode === 201,
    );
    expect(write?.entry).toMatchObject({ principal: 'svc:owner', req: { method: 'POST', url: '/v1/units' } });
  });
});
