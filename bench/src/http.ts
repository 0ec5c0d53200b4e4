import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { type CpuSnapshot, cpuSnapshot, round } from './cpu.ts';
import { NODE_FLAGS } from './node.ts';
import {
  COMMUNES,
  communeId,
  INDICATORS,
  indicatorCode,
  lowerIsBetter,
  MAX_POINTS,
  METHODOLOGY_ID,
  PROVINCES,
  parentOf,
  provinceId,
  targetValue,
} from './scale-model.ts';

/** The reference data of the scale model, as ingestion commands (one POST /v1/batch). */
export function referenceCommands() {
  const commands: { type: string; body: Record<string, unknown> }[] = [];
  for (let p = 0; p < PROVINCES; p++)
    commands.push({
      type: 'unit',
      body: { id: provinceId(p), validFrom: '2000-01-01', name: `Tỉnh ${p + 1}`, level: 'province' },
    });
  for (let c = 0; c < COMMUNES; c++)
    commands.push({
      type: 'unit',
      body: {
        id: communeId(c),
        validFrom: '2000-01-01',
        name: `Xã ${c + 1}`,
        level: 'commune',
        parentId: parentOf(c),
      },
    });
  for (let i = 0; i < INDICATORS; i++) {
    const direction = lowerIsBetter(i) ? 'lower-is-better' : 'higher-is-better';
    commands.push({
      type: 'indicator',
      body: { code: indicatorCode(i), name: `Chỉ số ${i + 1}`, measure: 'percent', direction },
    });
    commands.push({
      type: 'target',
      body: { indicator: indicatorCode(i), period: '2030', value: targetValue(i), authority: 'Bộ Nội vụ' },
    });
  }
  const indicators = Array.from({ length: INDICATORS }, (_, i) => ({
    indicator: indicatorCode(i),
    maxPoints: MAX_POINTS,
    rule: { kind: 'attainment' },
  }));
  commands.push({
    type: 'methodology',
    body: { id: METHODOLOGY_ID, name: 'Chỉ số CCHC cấp xã', level: 'commune', indicators },
  });
  return commands;
}

/** Writes the reference data through an ingestion API (the all-in-one server's or the ingestion service's). */
export async function postReferenceData(url: string): Promise<void> {
  const ref = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ commands: referenceCommands() }),
  });
  if (!ref.ok) throw new Error(`reference data refused: ${ref.status} ${await ref.text()}`);
}

/**
 * Starts the all-in-one server as `pnpm start` does, on a data directory (emptied first unless
 * `keep`), and resolves once it answers: it listens only after it has caught up with its log.
 */
export async function startServer(
  dataDir: string,
  port: number,
  options: { keep?: boolean; timeoutMs?: number } = {},
): Promise<ChildProcess> {
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  const server = spawn(process.execPath, [...NODE_FLAGS, 'services/all-in-one/src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LEDGER_DATA_DIR: dataDir,
      LEDGER_DEMO: 'off',
      LOG_LEVEL: 'warn',
      LEDGER_CHECKPOINT_INTERVAL: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return answering(server, port, options.timeoutMs ?? 20_000, 'the all-in-one server did not start');
}

/** The HTTP floor's server (floor-server.ts): no ledger work, what the machine serves at best. */
export function startFloorServer(kind: 'node' | 'stack', port: number): Promise<ChildProcess> {
  const server = spawn(process.execPath, [...NODE_FLAGS, 'bench/src/floor-server.ts', kind, String(port)], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return answering(server, port, 20_000, `the ${kind} floor server did not start`);
}

/** Resolves with the process once it answers GET /healthz; kills it if it does not in time. */
async function answering(server: ChildProcess, port: number, timeoutMs: number, failure: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return server;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill('SIGKILL');
  throw new Error(failure);
}

export interface HttpResult {
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /**
   * The server's CPU time (all its threads) per submission accepted, from the start of the load until
   * it has finished the work the load caused (scoring falls behind under load and catches up after).
   */
  readonly serverCpuUsPerSubmission: number;
}

/** Waits until a process has been nearly idle (< 5 % of a core) for half a second, at most a minute. */
async function settled(pid: number): Promise<CpuSnapshot> {
  let last = cpuSnapshot({ server: pid });
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSnapshot({ server: pid });
    const busy = ((now.seconds.server ?? 0) - (last.seconds.server ?? 0)) / ((now.at - last.at) / 1000);
    last = now;
    if (busy < 0.05) break;
  }
  return last;
}

/**
 * Workloads 1b (mode single: POST /v1/submissions) and 1c (mode batch: POST /v1/batch of 500):
 * the all-in-one server on an empty data dir with the scale model's reference data, loaded by
 * autocannon from a separate process.
 */
export async function httpLoad(
  mode: 'single' | 'batch',
  seconds: number,
  connections: number,
  /** The ledger, or a floor server that does no ledger work (single mode only). */
  target: 'ledger' | 'node' | 'stack' = 'ledger',
): Promise<HttpResult> {
  const port = 18_080;
  const server =
    target === 'ledger'
      ? await startServer(`.cache/bench/http-${mode}`, port)
      : await startFloorServer(target, port);
  try {
    const url = `http://127.0.0.1:${port}`;
    if (target === 'ledger') await postReferenceData(url);
    const before = await settled(server.pid as number);
    const load = spawn(
      process.execPath,
      [...NODE_FLAGS, 'bench/src/http-load.ts', url, mode, String(seconds), String(connections)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    load.stdout.on('data', (chunk) => {
      out += chunk;
    });
    await once(load, 'exit');
    const after = await settled(server.pid as number);
    const result = JSON.parse(out.trim().split('\n').at(-1) as string) as Omit<
      HttpResult,
      'serverCpuUsPerSubmission'
    >;
    const cpuSeconds = (after.seconds.server ?? 0) - (before.seconds.server ?? 0);
    return {
      ...result,
      serverCpuUsPerSubmission: round((1e6 * cpuSeconds) / (result.eventsPerSecond * seconds)),
    };
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
}
