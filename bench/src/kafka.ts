/**
 * Workload 4: the three services (ingestion, scoring, projection) as separate processes over a real
 * Kafka broker, sharing one SQLite store, fed by an integrator producing submission records on the
 * commands topic from a separate load process (kafka-load.ts).
 *
 * - throughput: N submissions produced as fast as the broker takes them; the time from the first
 *   record produced until the projection has applied every event they caused (the submissions
 *   ingestion recorded, and the score events scoring appended for them).
 * - freshness: submissions produced at a steady rate; for each one, accepted (its event's
 *   recordedAt in the store) → visible (the projection's checkpoint has passed its position, seen by
 *   polling the projection's ops endpoint), and produced → visible.
 *
 * Each run: a broker (the running one, or one started here and stopped at the end), the services in
 * a fresh dir under .cache/bench with a namespace of their own, the scale model's reference data
 * through ingestion's POST /v1/batch; everything stopped and removed at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { brokersOf, freePortPair, runBrokerScript } from '@ledger/bus-kafka/broker-script';
import type { EventStore } from '@ledger/event-store';
import { readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import kafkajs from 'kafkajs';
import { SERVICES, type ServiceName, type Stack, startStack } from '../../test/e2e/stack.ts';
import { postReferenceData } from './http.ts';
import { METHODOLOGY_ID } from './scale-model.ts';
import { quantile } from './stats.ts';
import { submissionAt, submissionIndexOf } from './submissions.ts';

const { Kafka, logLevel } = kafkajs;
type Admin = ReturnType<InstanceType<typeof Kafka>['admin']>;

const NODE = [
  process.execPath,
  '--experimental-strip-types',
  '--disable-warning=ExperimentalWarning',
  // kafkajs sets a negative timeout once per process on Node ≥ 23 (see infra/kafka/README.md).
  '--disable-warning=TimeoutNegativeWarning',
];
const VALUE_SUBMITTED = 'ledger.value-submitted.v1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

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

// ---------------------------------------------------------------------------------------------
// CPU time per process, from /proc/<pid>/stat (utime + stime, all threads)

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface CpuSnapshot {
  readonly at: number;
  readonly seconds: Record<string, number>;
}

/** Reads the CPU time of each process; one that has exited keeps the time it had in `previous`. */
function cpuSnapshot(pids: Record<string, number | undefined>, previous?: CpuSnapshot): CpuSnapshot {
  const seconds: Record<string, number> = { ...previous?.seconds };
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Never less than before: a process that has exited but is not yet reaped reads as 0.
      seconds[name] = Math.max(seconds[name] ?? 0, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the process has gone
    }
  }
  // The whole machine (every core, every process): user + nice + system + irq + softirq + steal.
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  seconds.machine = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (cpu[i] ?? 0), 0) / CLOCK_TICKS;
  return { at: Date.now(), seconds };
}

/** Each process's CPU use between two snapshots, in % of one core (the machine has `nproc` × 100 %). */
function cpuPercent(from: CpuSnapshot, to: CpuSnapshot): Record<string, number> {
  const wall = (to.at - from.at) / 1000;
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(to.seconds)) {
    const before = from.seconds[name];
    if (before !== undefined && wall > 0) out[name] = round((100 * (s - before)) / wall);
  }
  return out;
}

/**
 * How busy each process's main thread is, by sampling its scheduler state every 10 ms: running
 * (R) or waiting on the disk (D, e.g. an fsync in a synchronous SQLite commit), as % of samples.
 * A Node service whose main thread is R or D nearly all the time is saturated even when its CPU
 * time is low: its event loop cannot take more.
 */
function sampleMainThreads(pids: () => Record<string, number | undefined>) {
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

type MainThreads = ReturnType<ReturnType<typeof sampleMainThreads>['stop']>;

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

function ops(stack: Stack, service: ServiceName): Promise<OpsAnswer> {
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

async function withPipeline<T>(name: string, run: (p: Pipeline) => Promise<T>): Promise<T> {
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

interface LoadResult {
  readonly produced: number;
  /** [first n, count, sent at ms, acknowledged at ms], in n order. */
  readonly batches: [number, number, number, number][];
  /** CPU time the load process spent producing (it reads its own: it may exit between snapshots). */
  readonly cpuSeconds: number;
}

/** The load processes running, killed if the run is interrupted. */
const loads = new Set<ChildProcess>();

function startLoad(p: Pipeline, args: string[]): { done: Promise<LoadResult> } {
  const child = spawn(
    NODE[0] as string,
    [...NODE.slice(1), 'bench/src/kafka-load.ts', p.broker.brokers, p.commandsTopic, ...args],
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
async function readRun(p: Pipeline, produced: number) {
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

const seconds = (ms: number) => round(ms / 1000, 2);

// ---------------------------------------------------------------------------------------------
// Throughput

export interface KafkaThroughputResult {
  readonly submissions: number;
  readonly seconds: number;
  readonly submissionsPerSecond: number;
  /** Ledger events (submissions, idempotency records, scores, scoring checkpoints) through the projection. */
  readonly eventsPerSecond: number;
  readonly events: number;
  readonly eventsByType: Record<string, number>;
  /** Seconds from the first record produced until each stage had done its part, and its rate. */
  readonly stages: Record<string, { seconds: number; perSecond: number }>;
  /**
   * Each stage's own pace: its rate from 10 % to 90 % of its work, polled every ~50 ms. Stages run
   * at once, so the slowest one's pace is the pipeline's.
   */
  readonly steadyRates: Record<string, number>;
  /**
   * The most events that waited in front of each follower of the log at one poll: work queues up
   * in front of the slowest stage.
   */
  readonly maxBacklog: Record<string, number>;
  /**
   * % of one core per process between the first record and the end; `machine` is every process
   * on the machine together (2 cores: 200 % at most).
   */
  readonly cpuPercent: Record<string, number>;
  /** CPU time per submission of each process: what the pipeline costs, whatever else the machine runs. */
  readonly cpuMsPerSubmission: Record<string, number>;
  /** The rate at which the pipeline (services, broker, load) would keep every core of this machine busy. */
  readonly cpuCeilingSubmissionsPerSecond: number;
  readonly mainThreads: MainThreads;
}

export async function kafkaThroughput(
  submissions: number,
  timeoutMs = 600_000,
): Promise<KafkaThroughputResult> {
  return withPipeline('throughput', async (p) => {
    const threads = p.sampleMainThreads();
    const load = startLoad(p, ['burst', String(submissions)]);
    const snapshots: CpuSnapshot[] = [p.cpu()];
    const progress: Progress[] = [];
    const deadline = Date.now() + timeoutMs;
    let ingestedAt = 0;
    let scoredAt = 0;
    let projectedAt = 0;
    let ingestedHead = 0;
    let scoredHead = 0;
    let loaded: LoadResult | undefined;
    load.done.then(
      (r) => {
        loaded = r;
      },
      () => undefined,
    );
    // Each stage is done when the one before it is and it has caught up with what that one left.
    while (!projectedAt) {
      await sleep(50);
      snapshots.push(p.cpu());
      const committed = await p.committed();
      const [ingestion, scoring, projection] = await Promise.all([
        p.ops('ingestion'),
        p.ops('scoring'),
        p.ops('projection'),
      ]);
      const at = Date.now();
      progress.push({
        at,
        committed,
        head: ingestion.head,
        relay: ingestion.checkpoint,
        scoring: scoring.checkpoint,
        projection: projection.checkpoint,
      });
      if (at > deadline)
        throw new Error(
          `not done after ${timeoutMs} ms: ${JSON.stringify(progress.at(-1))} (${submissions} submissions)`,
        );
      if (!ingestedAt && committed >= submissions) {
        ingestedAt = at;
        ingestedHead = (await p.ops('scoring')).head;
        continue;
      }
      if (ingestedAt && !scoredAt && scoring.checkpoint >= ingestedHead) {
        scoredAt = at;
        // Read in the same request as the checkpoint: it holds the scores of every input up to it.
        scoredHead = scoring.head;
      }
      if (scoredAt && projection.checkpoint >= scoredHead) projectedAt = at;
    }
    const mainThreads = threads.stop();
    const result = loaded ?? (await load.done);
    const start = Math.min(...result.batches.map((b) => b[2]));
    const producedAt = Math.max(...result.batches.map((b) => b[3]));
    const run = await readRun(p, result.produced);
    const accepted = run.position.filter((x) => !Number.isNaN(x)).length;
    if (accepted !== submissions)
      throw new Error(
        `only ${accepted} of ${submissions} submissions were recorded: ${JSON.stringify(run.byType)}`,
      );
    const events = scoredHead - p.referenceHead;
    if (run.events !== events)
      console.error(
        `kafka-throughput: ${run.events - events} event(s) appended after the projection caught up`,
      );
    const from = snapshots.findLast((s) => s.at <= start) ?? (snapshots[0] as CpuSnapshot);
    const to = snapshots.at(-1) as CpuSnapshot;
    const stage = (at: number, work: number) => ({
      seconds: seconds(at - start),
      perSecond: Math.round((1000 * work) / (at - start)),
    });
    /** A stage's rate while it went from 10 % to 90 % of its work: its pace while it had work queued. */
    const steady = (key: Exclude<keyof Progress, 'at'>, from: number, work: number) => {
      const crossed = (x: number) => progress.find((s) => s[key] >= from + x * work)?.at ?? Number.NaN;
      return Math.round((0.8 * work * 1000) / (crossed(0.9) - crossed(0.1)));
    };
    return {
      submissions,
      seconds: seconds(projectedAt - start),
      submissionsPerSecond: Math.round((1000 * submissions) / (projectedAt - start)),
      eventsPerSecond: Math.round((1000 * events) / (projectedAt - start)),
      events,
      eventsByType: run.byType,
      stages: {
        'produced (records)': stage(producedAt, submissions),
        'ingested (submissions)': stage(ingestedAt, submissions),
        'scored (submissions)': stage(scoredAt, submissions),
        'projected (events)': stage(projectedAt, events),
      },
      steadyRates: {
        'ingestion (submissions/s)': steady('committed', 0, submissions),
        'relay (events/s)': steady('relay', p.referenceHead, events),
        'scoring (events/s)': steady('scoring', p.referenceHead, events),
        'projection (events/s)': steady('projection', p.referenceHead, events),
      },
      maxBacklog: {
        'relay (recorded, not published)': Math.max(...progress.map((x) => x.head - x.relay)),
        'scoring (published, not scored)': Math.max(...progress.map((x) => x.relay - x.scoring)),
        'projection (published, not applied)': Math.max(...progress.map((x) => x.relay - x.projection)),
      },
      cpuPercent: {
        ...cpuPercent(from, to),
        load: round((100 * result.cpuSeconds) / ((to.at - from.at) / 1000)),
      },
      cpuMsPerSubmission: {
        ...Object.fromEntries(
          Object.entries(to.seconds)
            .filter(([name]) => name !== 'machine' && from.seconds[name] !== undefined)
            .map(([name, t]) => [
              name,
              round((1000 * (t - (from.seconds[name] as number))) / submissions, 3),
            ]),
        ),
        load: round((1000 * result.cpuSeconds) / submissions, 3),
      },
      cpuCeilingSubmissionsPerSecond: Math.round(
        (availableParallelism() * 1000 * submissions) /
          (1000 * result.cpuSeconds +
            Object.entries(to.seconds)
              .filter(([name]) => name !== 'machine' && name !== 'bench' && from.seconds[name] !== undefined)
              .reduce((sum, [name, t]) => sum + 1000 * (t - (from.seconds[name] as number)), 0)),
      ),
      mainThreads,
    };
  });
}

/** Where each stage stood at an instant of a throughput run. */
interface Progress {
  readonly at: number;
  /** Command records ingestion has handled. */
  readonly committed: number;
  readonly head: number;
  /** The log positions the relay has published, scoring has scored, the projection has applied. */
  readonly relay: number;
  readonly scoring: number;
  readonly projection: number;
}

// ---------------------------------------------------------------------------------------------
// Freshness

interface Percentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles in ms; a submission never seen counts as Infinity (JSON: null). */
const percentiles = (values: readonly number[]): Percentiles => ({
  p50Ms: round(quantile(values, 0.5)),
  p99Ms: round(quantile(values, 0.99)),
  maxMs: round(quantile(values, 1)),
});

/** One poll of the projection's ops endpoint: sent, answered, its checkpoint and the head. */
type Poll = [sentAt: number, receivedAt: number, checkpoint: number, head: number];

export interface SampleCheck {
  readonly n: number;
  readonly unitId: string;
  readonly indicator: string;
  readonly period: string;
  readonly value: number;
  readonly position?: number;
  /** ms from the poll that saw the checkpoint pass the position until the scorecard answered. */
  readonly scorecardMs?: number;
  readonly status?: number;
  /** The scorecard (as of now) showed the value, and the unit ranked. */
  readonly live: boolean;
  /** The scorecard at the checkpoint first seen past the position (`atPosition`), after the run. */
  readonly atCheckpoint?: boolean;
  readonly checkpointSeen?: number;
  readonly rank?: string;
}

export interface KafkaFreshnessResult {
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly produced: number;
  readonly producedPerSecond: number;
  readonly accepted: number;
  readonly visible: number;
  readonly acceptedToVisible: Percentiles;
  readonly producedToVisible: Percentiles;
  readonly producedToAccepted: Percentiles;
  /**
   * How late "visible" may be: the time between the last poll that did not yet show a submission
   * (sent) and the first that did (answered). Visible is that answer's time, an upper bound.
   */
  readonly pollResolution: { readonly targetMs: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly polls: number;
  readonly drainSeconds: number;
  readonly samples: readonly SampleCheck[];
  /** While the load ran. */
  readonly cpuPercent: Record<string, number>;
  readonly mainThreads: MainThreads;
}

export async function kafkaFreshness(
  rate: number,
  durationSeconds: number,
  pollMs = 10,
  drainMs = 30_000,
  sampleCount = 5,
): Promise<KafkaFreshnessResult> {
  return withPipeline('freshness', async (p) => {
    const projectionUrl = p.stack.url('projection');
    const polls: Poll[] = [];
    let polling = true;
    // One poll at a time, one every pollMs at most: a slow answer (the projection busy applying a
    // batch) delays the next poll, as it would delay any reader.
    const poller = (async () => {
      while (polling) {
        const sentAt = Date.now();
        const { head, checkpoint } = await ops(p.stack, 'projection');
        const receivedAt = Date.now();
        polls.push([sentAt, receivedAt, checkpoint, head]);
        await sleep(Math.max(0, pollMs - (receivedAt - sentAt)));
      }
    })();
    const lastCheckpoint = () => polls.at(-1)?.[2] ?? 0;

    const total = Math.round(rate * durationSeconds);
    const spawnedAt = Date.now();
    const threads = p.sampleMainThreads();
    const load = startLoad(p, ['rate', String(rate), String(durationSeconds)]);
    const cpuFrom = p.cpu();

    // A few submissions followed live: found in the store, then, as soon as a poll shows the
    // projection past them, read back in the scorecard (which also ranks the unit).
    const checkSample = async (n: number): Promise<SampleCheck> => {
      const s = submissionAt(n);
      const base = { n, ...s, live: false };
      await sleep(Math.max(0, spawnedAt + (1000 * n) / rate - Date.now()));
      const deadline = Date.now() + durationSeconds * 1000 + drainMs;
      const stream = `value:${s.unitId}:${s.indicator}:${s.period}`;
      let position: number | undefined;
      while (position === undefined) {
        position = (await p.store.readStream(stream))[0]?.position;
        if (position !== undefined) break;
        if (Date.now() > deadline) return base;
        await sleep(20);
      }
      while (lastCheckpoint() < position) {
        if (Date.now() > deadline) return { ...base, position };
        await sleep(5);
      }
      const seenAt = (polls.at(-1) as Poll)[1];
      const checkpointSeen = lastCheckpoint();
      const res = await fetch(
        `${projectionUrl}/v1/units/${s.unitId}/scorecard/${METHODOLOGY_ID}/${s.period}`,
      );
      const body = (await res.json()) as ScorecardBody;
      return {
        ...base,
        position,
        checkpointSeen,
        status: res.status,
        scorecardMs: Date.now() - seenAt,
        live: showsValue(body, s.indicator, s.value, position),
        ...(res.ok ? { rank: `${body.rank} of ${body.of}` } : {}),
      };
    };
    const sampling = Promise.all(
      // Spread over the run, off the multiples of 500 so that their values differ.
      Array.from({ length: sampleCount }, (_, k) =>
        checkSample(Math.min(total - 1, Math.floor(((k + 0.5) / sampleCount) * total) + 37 * k + 1)),
      ),
    );

    const result = await load.done;
    const cpuTo = p.cpu();
    const mainThreads = threads.stop();
    const loadEnd = Date.now();

    // Drain: ingestion has handled every record, and the projection has passed the head after that.
    let drained = false;
    let ingestedAt = 0;
    let drainedAt = loadEnd + drainMs;
    while (Date.now() - loadEnd < drainMs) {
      if (!ingestedAt && (await p.committed()) >= result.produced) ingestedAt = Date.now();
      if (ingestedAt) {
        const after = polls.find((poll) => poll[0] > ingestedAt);
        if (after && lastCheckpoint() >= after[3]) {
          drained = true;
          drainedAt = Date.now();
          break;
        }
      }
      await sleep(50);
    }
    polling = false;
    await poller;
    const samples = await sampling;

    const run = await readRun(p, result.produced);
    const sentAt = new Float64Array(result.produced);
    for (const [first, count, sent] of result.batches) sentAt.fill(sent, first, first + count);
    /** The first poll that saw the projection at or past a position. */
    const firstPollAt = (position: number) => {
      let lo = 0;
      let hi = polls.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((polls[mid] as Poll)[2] >= position) hi = mid;
        else lo = mid + 1;
      }
      return lo < polls.length ? lo : -1;
    };
    const acceptedToVisible: number[] = [];
    const producedToVisible: number[] = [];
    const producedToAccepted: number[] = [];
    const resolution: number[] = [];
    let accepted = 0;
    let visible = 0;
    for (let n = 0; n < result.produced; n++) {
      const position = run.position[n] as number;
      if (Number.isNaN(position)) {
        producedToAccepted.push(Number.POSITIVE_INFINITY);
        producedToVisible.push(Number.POSITIVE_INFINITY);
        continue;
      }
      accepted++;
      const recordedAt = run.recordedAtMs[n] as number;
      producedToAccepted.push(recordedAt - (sentAt[n] as number));
      const i = firstPollAt(position);
      if (i < 0) {
        acceptedToVisible.push(Number.POSITIVE_INFINITY);
        producedToVisible.push(Number.POSITIVE_INFINITY);
        continue;
      }
      visible++;
      const poll = polls[i] as Poll;
      acceptedToVisible.push(poll[1] - recordedAt);
      producedToVisible.push(poll[1] - (sentAt[n] as number));
      resolution.push(poll[1] - (polls[i - 1] ?? poll)[0]);
    }

    // After the run, with the projection idle: the scorecard at the checkpoint first seen past each sample.
    const checked = await Promise.all(
      samples.map(async (sample) => {
        if (sample.position === undefined) return sample;
        const i = firstPollAt(sample.position);
        if (i < 0) return sample;
        const at = (polls[i] as Poll)[2];
        const res = await fetch(
          `${projectionUrl}/v1/units/${sample.unitId}/scorecard/${METHODOLOGY_ID}/${sample.period}?atPosition=${at}`,
        );
        const body = (await res.json()) as ScorecardBody;
        return { ...sample, atCheckpoint: showsValue(body, sample.indicator, sample.value, sample.position) };
      }),
    );
    if (!drained)
      console.error(
        `kafka-freshness: not drained ${drainMs} ms after the load ended: ${accepted} of ${result.produced} accepted, ${visible} visible`,
      );

    const start = Math.min(...result.batches.map((b) => b[2]));
    const end = Math.max(...result.batches.map((b) => b[2]));
    return {
      ratePerSecond: rate,
      seconds: durationSeconds,
      produced: result.produced,
      producedPerSecond: Math.round((1000 * result.produced) / Math.max(1, end - start)),
      accepted,
      visible,
      acceptedToVisible: percentiles(acceptedToVisible),
      producedToVisible: percentiles(producedToVisible),
      producedToAccepted: percentiles(producedToAccepted),
      pollResolution: {
        targetMs: pollMs,
        p50Ms: round(quantile(resolution, 0.5)),
        p99Ms: round(quantile(resolution, 0.99)),
      },
      polls: polls.length,
      drainSeconds: seconds(drainedAt - loadEnd),
      samples: checked,
      cpuPercent: {
        ...cpuPercent(cpuFrom, cpuTo),
        load: round((100 * result.cpuSeconds) / ((cpuTo.at - cpuFrom.at) / 1000)),
      },
      mainThreads,
    };
  });
}

interface ScorecardBody {
  readonly position?: number;
  readonly rank?: number;
  readonly of?: number;
  readonly indicators?: { indicator: string; value: number | null }[];
}

/** The scorecard holds the submitted value, at a view that includes its event. */
const showsValue = (body: ScorecardBody, indicator: string, value: number, position: number) =>
  (body.position ?? 0) >= position &&
  typeof body.rank === 'number' &&
  body.indicators?.find((line) => line.indicator === indicator)?.value === value;
