/**
 * pnpm bench [append|replay|fold|http-single|http-batch …] [--events N] [--runs K] [--queries Q] [--seconds S]
 * Each run is a fresh child process (run.ts); every figure printed is the median of K runs.
 * The first append run of a size keeps its file as the data set .cache/bench/ledger-<N>.sqlite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { median } from './stats.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const flagValues = new Set(
  ['--events', '--runs', '--queries', '--seconds']
    .filter((f) => args.includes(f))
    .flatMap((f) => [f, args[args.indexOf(f) + 1]]),
);
const workloads = args.filter((a) => !flagValues.has(a));
const events = flag('events', 1_000_000);
const runs = flag('runs', 3);
const queries = flag('queries', 2_000);
const seconds = flag('seconds', 15);
const dataset = `.cache/bench/ledger-${events}.sqlite`;
mkdirSync('.cache/bench', { recursive: true });

function runOnce(...runArgs: string[]): Record<string, unknown> {
  const child = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--max-old-space-size=16384',
      'bench/src/run.ts',
      ...runArgs,
    ],
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
const num = (r: Record<string, unknown>, path: string) =>
  path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r) as number;

for (const workload of workloads.length ? workloads : ['append', 'replay']) {
  const results: Record<string, unknown>[] = [];
  for (let run = 0; run < runs; run++) {
    if (workload === 'append') {
      const keep = run === 0;
      const path = keep ? dataset : `.cache/bench/append-tmp.sqlite`;
      results.push(runOnce('append', String(events), path));
      if (!keep) for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
    } else if (workload === 'replay' || workload === 'fold') {
      if (!existsSync(dataset)) runOnce('append', String(events), dataset);
      results.push(runOnce(workload, String(events), dataset, String(queries)));
    } else results.push(runOnce(workload, '0', String(seconds)));
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
  } else if (workload === 'replay' || workload === 'fold') {
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
  }
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
