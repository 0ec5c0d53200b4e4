/**
 * Workload 4, what its two runs share: a broker (the running one, or one started here and stopped at
 * the end), the three services (ingestion, scoring, projection) as separate processes in a fresh dir
 * under .cache/bench with a namespace of their own and the scale model's reference data, the
 * integrator's load process (kafka-load.ts), and CPU time per process from /proc.
 * The runs: kafka-throughput.ts and kafka-freshness.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { brokersOf, freePortPair, runBrokerScript } from '@ledger/bus-kafka/broker-script';
import type { EventStore } from '@ledger/event-store';
import { readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import kafkajs from 'kafkajs';
import { SERVICES, type ServiceName, type Stack, startStack } from '../../test/e2e/stack.ts';
import { type CpuSnapshot, cpuSnapshot, round } from './cpu.ts';
import { postReferenceData } from './http.ts';
import { NODE_FLAGS } from './node.ts';
import { submissionIndexOf } from './submissions.ts';

const { Kafka, logLevel } = kafkajs;
type Admin = ReturnType<InstanceType<typeof Kafka>['admin']>;

const VALUE_SUBMITTED = 'ledger.value-submitted.v1';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The broker

interface Broker {
  readonly brokers: string;
  readonly pid: number | undefined;
  /** Started by this call (a cold JVM: its first minute costs several times the CPU of later ones). */
  readonly started: boolean;
  /** Stops the broker if this run started it; otherwise leaves it as it was. */
  stop(): Promise<void>;
}

const pidOf = (status: string) => Number(/pid (\d+)/.exec(status)?.[1]) || undefined;

/**
 * KAFKA_BROKERS if set (left alone), else the broker of infra/kafka/broker.sh: the running one (left
 * running), or one started now on a free port (stopped by `stop`). The pid is known for this
 * checkout's broker only: its CPU time is part of the figures.
 */
export async function ensureBroker(): Promise<Broker> {
  const status = await runBrokerScript('status');
  const running = status.startsWith('running');
  if (process.env.KAFKA_BROKERS) {
    const ours = running && brokersOf(status).join(',') === process.env.KAFKA_BROKERS;
    return {
      brokers: process.env.KAFKA_BROKERS,
      pid: ours ? pidOf(status) : undefined,
      started: false,
      stop: async () => {},
    };
  }
  if (running)
    return { brokers: brokersOf(status).join(','), pid: pidOf(status), started: false, stop: async () => {} };
  const env = { KAFKA_PORT: String(await freePortPair(Number(process.env.KAFKA_PORT ?? 19092))) };
  const started = Date.now();
  const brokers = brokersOf(await runBrokerScript('start', env)).join(',');
  console.error(`kafka: broker ${brokers} started in ${Date.now() - started} ms (stopped at the end)`);
  return {
    brokers,
    pid: pidOf(await runBrokerScript('status', env)),
    started: true,
    stop: async () => {
      await runBrokerScript('stop', env);
    },
  };
}

/**
 * How busy each process's main thread is, by sampling its scheduler state every 10 ms: running
 * (R) or waiting on the disk (D, e.g. an fsync in a synchronous SQLite commit), as % of samples.
 * A Node service whose main thread is R or D nearly all the time is saturated even when its CPU
 * time is low: its event loop cannot take more.
 */
export function sampleMainThreads(pids: () => Record<string, number | undefined>) {
  const counts: Record<string, { samples: number; running: number; disk: number }> = {};
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids())) {
      if (!pid) continue;
      let state: string | undefined;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        state = stat[stat.lastIndexOf(')') + 2];
      } catch {
        continue;
      }
      const c = counts[name] ?? { samples: 0, running: 0, disk: 0 };
      counts[name] = c;
      c.samples++;
      if (state === 'R') c.running++;
      if (state === 'D') c.disk++;
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return Object.fromEntries(
        Object.entries(counts).map(([name, c]) => [
          name,
          {
            runningPercent: round((100 * c.running) / c.samples),
            diskWaitPercent: round((100 * c.disk) / c.samples),
          },
        ]),
      );
    },
  };
}

export type MainThreads = ReturnType<ReturnType<typeof sampleMainThreads>['stop']>;

// ---------------------------------------------------------------------------------------------
// The pipeline: broker, services, reference data

interface OpsAnswer {
  readonly head: number;
  readonly checkpoint: number;
}

interface Pipeline {
  readonly stack: Stack;
  readonly broker: Broker;
  /** A read connection of the bench's own to the shared store. */
  readonly store: EventStore;
  readonly admin: Admin;
  readonly commandsTopic: string;
  /** The head of the log once the reference data was recorded, scored and projected. */
  readonly referenceHead: number;
  /** The head, and the checkpoint of the service's relay, scoring worker or projection, from its ops endpoint. */
  ops(service: ServiceName): Promise<OpsAnswer>;
  /** How many command records ingestion has handled (its group's committed offsets, summed). */
  committed(): Promise<number>;
  cpu(): CpuSnapshot;
  /** Starts sampling the services' main threads (see sampleMainThreads). */
  sampleMainThreads(): { stop(): MainThreads };
}

/** A poll that failed is tried twice more (said on stderr), so one hiccup does not end a run. */
async function retried<T>(what: string, poll: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await poll();
    } catch (error) {
      if (attempt >= 3) throw error;
      console.error(`kafka: ${what} failed (${(error as Error).message}); trying again`);
      await sleep(100);
    }
  }
}

export function ops(stack: Stack, service: ServiceName): Promise<OpsAnswer> {
  return retried(`${service} ops`, async () => {
    const res = await fetch(`${stack.url(service)}/v1/ops/projections`);
    if (!res.ok) throw new Error(`${service} ops: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { head: { position: number }; projections: { checkpoint: number }[] };
    return {
      head: body.head.position,
      checkpoint: (body.projections[0] as { checkpoint: number }).checkpoint,
    };
  });
}

/** Waits until scoring and the projection have caught up with a log that no longer grows. */
async function settle(stack: Stack, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scoring = await ops(stack, 'scoring');
    if (scoring.checkpoint >= scoring.head) {
      const projection = await ops(stack, 'projection');
      if (projection.checkpoint >= projection.head && projection.head === scoring.head)
        return projection.head;
    }
    if (Date.now() > deadline) throw new Error('scoring and the projection did not catch up with the log');
    await sleep(50);
  }
}

export async function withPipeline<T>(name: string, run: (p: Pipeline) => Promise<T>): Promise<T> {
  const broker = await ensureBroker();
  const dir = resolve(`.cache/bench/kafka-${name}-${process.pid}`);
  const namespace = `bench${Date.now().toString(36)}-${name}-`;
  let stack: Stack | undefined;
  let store: EventStore | undefined;
  let admin: Admin | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const child of loads) child.kill('SIGKILL');
      if (stack) reportServiceProblems(stack);
      await admin?.disconnect().catch(() => undefined);
      await store?.close().catch(() => undefined);
      if (stack) await stopStack(stack);
      await rm(dir, { recursive: true, force: true });
      await broker.stop();
    })());
  // Interrupted (Ctrl-C, a timeout): stop what this run started, then exit.
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`kafka: ${signal}, cleaning up`);
    void cleanUp().finally(() => process.exit(1));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await rm(dir, { recursive: true, force: true });
    const started = Date.now();
    stack = await startStack({
      dir,
      brokers: broker.brokers,
      namespace,
      env: {
        // No signed checkpoints on a timer during the run.
        LEDGER_CHECKPOINT_INTERVAL: '0',
        // kafkajs sets a negative timeout once per process on Node ≥ 23 (see infra/kafka/README.md).
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --disable-warning=TimeoutNegativeWarning`.trim(),
      },
    });
    await postReferenceData(stack.url('ingestion'));
    const referenceHead = await settle(stack);
    console.error(`kafka: services ready and reference data in ${Date.now() - started} ms (${dir})`);
    store = getSQLiteEventStore({ path: stack.storePath });
    admin = new Kafka({
      clientId: 'bench',
      brokers: broker.brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const commandsTopic = `${namespace}ledger.commands.v1`;
    const groupId = `${namespace}ingestion-commands`;
    const s = stack;
    const a = admin;
    let last: CpuSnapshot | undefined;
    return await run({
      stack: s,
      broker,
      store,
      admin,
      commandsTopic,
      referenceHead,
      ops: (service) => ops(s, service),
      committed: () =>
        retried('fetching the committed offsets', async () => {
          const [topic] = await a.fetchOffsets({ groupId, topics: [commandsTopic] });
          return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        }),
      cpu: () => {
        last = cpuSnapshot(
          {
            ingestion: s.pid('ingestion'),
            scoring: s.pid('scoring'),
            projection: s.pid('projection'),
            broker: broker.pid,
            bench: process.pid,
          },
          last,
        );
        return last;
      },
      sampleMainThreads: () =>
        sampleMainThreads(() => ({
          ingestion: s.pid('ingestion'),
          scoring: s.pid('scoring'),
          projection: s.pid('projection'),
        })),
    });
  } finally {
    await cleanUp();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** Stops the services (SIGTERM); one still running 15 s later is killed, and said so. */
async function stopStack(stack: Stack): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = stack.stop().then(() => true);
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), 15_000);
  });
  if (await Promise.race([stopped, late])) return clearTimeout(timer);
  for (const service of SERVICES)
    if (stack.pid(service)) {
      console.error(`kafka: ${service} did not stop within 15 s of SIGTERM; killing it`);
      await stack.kill(service, 'SIGKILL');
    }
}

/** Tells (on stderr) what the services logged at warn level or above, or wrote outside their log. */
function reportServiceProblems(stack: Stack): void {
  for (const service of SERVICES) {
    const problems: string[] = [];
    for (const line of stack.output(service).split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 40)
          problems.push(`${entry.msg}${entry.err ? `: ${entry.err.message}` : ''}`);
      } catch {
        problems.push(line.trim());
      }
    }
    if (problems.length === 0) continue;
    const distinct = [...new Set(problems)];
    console.error(
      `kafka: ${service} logged ${problems.length} warning(s)/error(s): ${distinct.slice(0, 5).join(' | ')}` +
        (distinct.length > 5 ? ` | … (${distinct.length} distinct)` : ''),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The load process

export interface LoadResult {
  readonly produced: number;
  /** [first n, count, sent at ms, acknowledged at ms], in n order. */
  readonly batches: [number, number, number, number][];
  /** CPU time the load process spent producing (it reads its own: it may exit between snapshots). */
  readonly cpuSeconds: number;
}

/** The load processes running, killed if the run is interrupted. */
const loads = new Set<ChildProcess>();

export function startLoad(p: Pipeline, args: string[]): { done: Promise<LoadResult> } {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, 'bench/src/kafka-load.ts', p.broker.brokers, p.commandsTopic, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  loads.add(child);
  child.on('exit', () => loads.delete(child));
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const done = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`the load process failed (${code})`);
    return JSON.parse(out.trim().split('\n').at(-1) as string) as LoadResult;
  });
  // Awaited later; a run that fails first kills the load, and that must not crash the cleanup.
  done.catch(() => undefined);
  return { done };
}

/** The events after the reference data, by type, and each submission's position and recordedAt. */
export async function readRun(p: Pipeline, produced: number) {
  const byType: Record<string, number> = {};
  const position = new Float64Array(produced).fill(Number.NaN);
  const recordedAtMs = new Float64Array(produced).fill(Number.NaN);
  let events = 0;
  for await (const page of readPages(p.store, p.referenceHead, 5_000))
    for (const e of page) {
      events++;
      byType[e.type] = (byType[e.type] ?? 0) + 1;
      if (e.type !== VALUE_SUBMITTED) continue;
      const n = submissionIndexOf(e.streamId);
      if (n === undefined || n >= produced) continue;
      position[n] = e.position;
      recordedAtMs[n] = Date.parse(e.recordedAt);
    }
  return { events, byType, position, recordedAtMs };
}

export const seconds = (ms: number) => round(ms / 1000, 2);
