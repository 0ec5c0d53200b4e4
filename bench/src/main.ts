/**
 * pnpm bench [append|replay|fold|scoring|start|http-single|http-batch|kafka|kafka-throughput|kafka-freshness
 *   |read-floor|http-floor-node|http-floor-stack …]
 *   [--events N] [--runs K] [--queries Q] [--seconds S] [--rate R]
 * Each run is a fresh child process (run.ts); every figure printed is the median of K runs.
 * The first append run of a size keeps its file as the data set .cache/bench/ledger-<N>.sqlite.
 * `kafka` is kafka-throughput (N submissions, default 20,000) then kafka-freshness (R submissions/s,
 * default 5,000, for S seconds). Every table ends with the machine's speed before and after its
 * workloads (calibrate.ts): compare figures of different invocations only where those agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ensureBroker } from './kafka-pipeline.ts';
import { NODE_FLAGS } from './node.ts';
import { median } from './stats.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const flagValues = new Set(
  ['--events', '--runs', '--queries', '--seconds', '--rate']
    .filter((f) => args.includes(f))
    .flatMap((f) => [f, args[args.indexOf(f) + 1]]),
);
const workloads = args
  .filter((a) => !flagValues.has(a))
  .flatMap((w) => (w === 'kafka' ? ['kafka-throughput', 'kafka-freshness'] : [w]));
const events = flag('events', 1_000_000);
const runs = flag('runs', 3);
const queries = flag('queries', 2_000);
const seconds = flag('seconds', 15);
const rate = flag('rate', 5_000);
const kafkaSubmissions = flag('events', 20_000);
const dataset = `.cache/bench/ledger-${events}.sqlite`;
mkdirSync('.cache/bench', { recursive: true });

/**
 * The rebuild and the scoring fold run with the heap a deployment in 1 GB would give them, so the peak
 * RSS is what it needs, not what a lazy collector let it grow to. The other runs get a large heap:
 * `fold` keeps every value's details in memory.
 */
const heapMiB = (workload: string | undefined) =>
  workload === 'replay' || workload === 'scoring' ? 768 : 16_384;

function runOnce(...runArgs: string[]): Record<string, unknown> {
  const child = spawnSync(
    process.execPath,
    [...NODE_FLAGS, `--max-old-space-size=${heapMiB(runArgs[0])}`, 'bench/src/run.ts', ...runArgs],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
  );
  if (child.status !== 0)
    throw new Error(`run.ts ${runArgs.join(' ')} failed (${child.status ?? child.signal})`);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
  console.error(`  ${runArgs[0]}: ${JSON.stringify(result)}`);
  return result;
}

const rows: [string, string, string][] = [];
const report = (figure: string, values: number[], unit: string) =>
  rows.push([
    figure,
    `${median(values).toLocaleString('en-US', { maximumFractionDigits: 1 })} ${unit}`,
    values.map((v) => Math.round(v * 10) / 10).join(', '),
  ]);
/** A figure of a run's JSON; null (a percentile over values never seen: Infinity) reads as Infinity. */
const num = (r: Record<string, unknown>, path: string) =>
  (path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r) as number | null) ??
  Number.POSITIVE_INFINITY;

// One broker for every Kafka run: the running one, or one started here and stopped at the end.
const broker = workloads.some((w) => w.startsWith('kafka')) ? await ensureBroker() : undefined;
if (broker) {
  process.env.KAFKA_BROKERS = broker.brokers;
  // Ctrl-C reaches the run in progress too, which cleans up and fails; then the broker is stopped.
  process.once('SIGINT', () => console.error('pnpm bench: interrupted'));
}
try {
  // A broker just started is a cold JVM: its first minute costs several times the CPU of later
  // ones, so one untimed run goes first.
  if (broker?.started) {
    console.error('kafka: one warm-up run (not counted)');
    runOnce('kafka-throughput', '20000');
  }
  const speedBefore = num(runOnce('calibrate'), 'jobsPerSecond');
  for (const workload of workloads.length ? workloads : ['append', 'replay']) {
    const results: Record<string, unknown>[] = [];
    for (let run = 0; run < runs; run++) {
      if (workload === 'append') {
        const keep = run === 0;
        const path = keep ? dataset : `.cache/bench/append-tmp.sqlite`;
        results.push(runOnce('append', String(events), path));
        if (!keep) for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
      } else if (workload === 'replay' || workload === 'fold' || workload === 'scoring') {
        if (!existsSync(dataset)) runOnce('append', String(events), dataset);
        results.push(runOnce(workload, String(events), dataset, String(queries)));
      } else if (workload === 'start' || workload === 'read-floor') {
        if (!existsSync(dataset)) runOnce('append', String(events), dataset);
        results.push(runOnce(workload, String(events), dataset));
      } else if (workload === 'kafka-throughput') results.push(runOnce(workload, String(kafkaSubmissions)));
      else if (workload === 'kafka-freshness')
        results.push(runOnce(workload, '0', String(seconds), String(rate)));
      else results.push(runOnce(workload, '0', String(seconds)));
    }
    const n = `${(events / 1e6).toLocaleString('en-US')} M`;
    if (workload === 'append') {
      report(
        `1a append via store port, ${n} events (in append)`,
        results.map((r) => num(r, 'appendEventsPerSecond')),
        'events/s',
      );
      report(
        `1a append incl. generation, ${n} events`,
        results.map((r) => num(r, 'eventsPerSecond')),
        'events/s',
      );
    } else if (workload === 'replay' || workload === 'fold' || workload === 'scoring') {
      report(
        `2 ${workload}, ${n} events`,
        results.map((r) => num(r, 'eventsPerSecond')),
        'events/s',
      );
      report(
        `2 ${workload} time, ${n} events`,
        results.map((r) => num(r, 'seconds')),
        's',
      );
      report(
        `2 ${workload} peak RSS, ${n} events`,
        results.map((r) => num(r, 'peakRssMiB')),
        'MiB',
      );
      report(
        `3 as-of rank p50, ${n} events`,
        results.map((r) => num(r, 'asOf.p50Ms')),
        'ms',
      );
      report(
        `3 as-of rank p99, ${n} events`,
        results.map((r) => num(r, 'asOf.p99Ms')),
        'ms',
      );
    } else if (workload === 'start') {
      report(
        `2″ all-in-one start (rebuild + scoring), ${n} events`,
        results.map((r) => num(r, 'seconds')),
        's',
      );
      report(
        `2″ all-in-one start peak RSS, ${n} events`,
        results.map((r) => num(r, 'peakRssMiB')),
        'MiB',
      );
      report(
        `2″ all-in-one restart (read model kept), ${n} events`,
        results.map((r) => num(r, 'restartSeconds')),
        's',
      );
      report(
        `2″ all-in-one restart peak RSS, ${n} events`,
        results.map((r) => num(r, 'restartPeakRssMiB')),
        'MiB',
      );
    } else if (workload === 'kafka-throughput') {
      const what = `4 Kafka, ${kafkaSubmissions.toLocaleString('en-US')} submissions`;
      report(
        `${what}: submissions/s, produced → projected`,
        results.map((r) => num(r, 'submissionsPerSecond')),
        'submissions/s',
      );
      report(
        `${what}: ledger events/s through the projection`,
        results.map((r) => num(r, 'eventsPerSecond')),
        'events/s',
      );
      for (const stage of ['ingested (submissions)', 'scored (submissions)', 'projected (events)'])
        report(
          `${what}: ${stage.split(' ')[0]} after`,
          results.map((r) => num(r, `stages.${stage}.seconds`)),
          's',
        );
      for (const proc of ['ingestion', 'scoring', 'projection', 'broker'])
        report(
          `${what}: CPU time of ${proc} per submission`,
          results.map((r) => num(r, `cpuMsPerSubmission.${proc}`) * 1000),
          'µs',
        );
      report(
        `${what}: CPU-bound ceiling (cores ÷ CPU time per submission of services, broker and load)`,
        results.map((r) => num(r, 'cpuCeilingSubmissionsPerSecond')),
        'submissions/s',
      );
      report(
        `${what}: CPU busy, whole machine (every process)`,
        results.map((r) => num(r, 'cpuPercent.machine')),
        '% of one core',
      );
    } else if (workload === 'kafka-freshness') {
      const what = `4 Kafka freshness, ${rate.toLocaleString('en-US')} submissions/s for ${seconds} s`;
      report(
        `${what}: produced`,
        results.map((r) => num(r, 'producedPerSecond')),
        'submissions/s',
      );
      for (const [figure, path] of [
        ['accepted → visible p50', 'acceptedToVisible.p50Ms'],
        ['accepted → visible p99', 'acceptedToVisible.p99Ms'],
        ['accepted → visible max', 'acceptedToVisible.maxMs'],
        ['produced → visible p50', 'producedToVisible.p50Ms'],
        ['produced → visible p99', 'producedToVisible.p99Ms'],
        ['polling resolution p99 (visible is late by at most)', 'pollResolution.p99Ms'],
      ] as const)
        report(
          `${what}: ${figure}`,
          results.map((r) => num(r, path)),
          'ms',
        );
      report(
        `${what}: not visible by the end of the drain`,
        results.map((r) => num(r, 'produced') - num(r, 'visible')),
        'submissions',
      );
    } else if (workload === 'read-floor') {
      for (const [pass, path] of [
        ['rows only', 'rowsPerSecond'],
        ['read (rows + JSON.parse)', 'readPerSecond'],
        ['read + zod validation', 'validatePerSecond'],
        ['read + leaf hash', 'hashPerSecond'],
      ] as const)
        report(
          `2 floor, ${pass}, ${n} events, one thread`,
          results.map((r) => num(r, path)),
          'events/s',
        );
    } else if (workload.startsWith('http-floor')) {
      const what = workload === 'http-floor-node' ? 'bare node:http' : "the ledger's HTTP stack";
      report(
        `1b floor, ${what}, no ledger work: requests/s`,
        results.map((r) => num(r, 'requestsPerSecond')),
        'req/s',
      );
      report(
        `1b floor, ${what}: p99`,
        results.map((r) => num(r, 'p99Ms')),
        'ms',
      );
      report(
        `1b floor, ${what}: server CPU per request`,
        results.map((r) => num(r, 'serverCpuUsPerSubmission')),
        'µs',
      );
    } else {
      report(
        `${workload} requests/s`,
        results.map((r) => num(r, 'requestsPerSecond')),
        'req/s',
      );
      report(
        `${workload} events/s`,
        results.map((r) => num(r, 'eventsPerSecond')),
        'events/s',
      );
      report(
        `${workload} p99`,
        results.map((r) => num(r, 'p99Ms')),
        'ms',
      );
      report(
        `${workload} server CPU time per submission (all threads, until its work is done)`,
        results.map((r) => num(r, 'serverCpuUsPerSubmission')),
        'µs',
      );
    }
  }
  const speedAfter = num(runOnce('calibrate'), 'jobsPerSecond');
  const [before, after] = [speedBefore, speedAfter].map((s) => s.toLocaleString('en-US'));
  rows.push([
    'machine speed, one thread: JSON.parse and leaf hash of one event (bench/src/calibrate.ts)',
    `${before} → ${after} jobs/s`,
    'before and after the workloads',
  ]);
} finally {
  await broker?.stop();
}

const table = [
  `_\`pnpm bench ${args.join(' ')}\` — ${new Date().toISOString()}, node ${process.version}, median of ${runs} run(s)_`,
  '',
  '| figure | median | runs |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(table);
// The latest table also goes into docs/benchmarks.md, between the markers.
const doc = 'docs/benchmarks.md';
if (existsSync(doc)) {
  const text = readFileSync(doc, 'utf8');
  const [start, end] = ['<!-- bench:latest -->', '<!-- /bench:latest -->'];
  if (text.includes(start) && text.includes(end))
    writeFileSync(
      doc,
      `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`,
    );
}
