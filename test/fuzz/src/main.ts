/**
 * `pnpm fuzz [--minutes N] [--target http|kafka|both] [--seed S [--path P]]`: the door's fuzzer for
 * as long as asked. It prints its seed first, so that a failure can be replayed (`--seed S --path P`,
 * from fast-check's report), what it has tried every minute, and the totals at the end. Exit codes:
 * 0 no failure; 1 an invariant broke; 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { brokersOf, runBrokerScript } from '@ledger/bus-kafka/broker-script';
import fc from 'fast-check';
import { httpProperty, kafkaProperty } from './session.ts';
import { newStats, report } from './stats.ts';

const USAGE = 'pnpm fuzz [--minutes N] [--target http|kafka|both] [--seed S [--path P]]';

let options: ReturnType<typeof parse>;
function parse() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      target: { type: 'string', default: 'both' },
      seed: { type: 'string' },
      path: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!(minutes > 0) || !['http', 'kafka', 'both'].includes(values.target as string))
    throw new Error(`--minutes must be a positive number and --target http, kafka or both\n${USAGE}`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer\n${USAGE}`);
  return { minutes, target: values.target as 'http' | 'kafka' | 'both', seed, path: values.path };
}
try {
  options = parse();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const { minutes, target, seed, path } = options;
console.log(
  `fuzz: seed ${seed} (replay: pnpm fuzz --seed ${seed} --target ${target}); ${minutes} min on ${target}`,
);

let startedBroker = false;
if (target !== 'http' && !process.env.KAFKA_BROKERS) {
  process.env.KAFKA_BROKERS = brokersOf(await runBrokerScript('start')).join(',');
  startedBroker = true;
}

const stats = newStats();
const started = Date.now();
const progress = setInterval(() => {
  console.log(`fuzz: ${((Date.now() - started) / 60_000).toFixed(1)} min\n${report(stats)}`);
}, 60_000);

/** fast-check's settings for a share of the time; a replay runs the one case the path names. */
const settings = (share: number, salt: number) => ({
  seed: seed + salt,
  ...(path
    ? { path, numRuns: 1 }
    : { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: share * minutes * 60_000 }),
  markInterruptAsFailure: false,
});

let failed = false;
let running: 'http' | 'kafka' = 'http';
try {
  if (target !== 'kafka')
    await fc.assert(httpProperty(stats, { min: 60, max: 200 }), settings(target === 'both' ? 0.65 : 1, 0));
  running = 'kafka';
  if (target !== 'http')
    await fc.assert(kafkaProperty(stats, { min: 40, max: 120 }), settings(target === 'both' ? 0.35 : 1, 1));
} catch (error) {
  failed = true;
  const message = (error as Error).message;
  const cause = (error as { cause?: Error }).cause;
  // The cause first (what broke, and the request that broke it), then the case, shortened.
  console.error(`fuzz: ${cause?.name ?? 'failure'}: ${cause?.message ?? ''}\n${message.slice(0, 4_000)}`);
  const failing = /path: "([^"]+)"/.exec(message)?.[1];
  // The property of the other target ran with the seed plus one: replay each on its own.
  console.error(
    `fuzz: replay with pnpm fuzz --target ${running} --seed ${seed + (running === 'kafka' && target === 'both' ? 1 : 0)}${failing ? ` --path ${failing}` : ''}`,
  );
} finally {
  clearInterval(progress);
  if (startedBroker) await runBrokerScript('stop').catch(() => undefined);
}
console.log(
  `fuzz: ${failed ? 'FAILED' : 'no failure'} after ${((Date.now() - started) / 60_000).toFixed(1)} min, seed ${seed}\n${report(stats)}`,
);
process.exit(failed ? 1 : 0);
