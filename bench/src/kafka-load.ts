/**
 * The load process of workload 4: an integrator producing submission records on the commands topic
 * (kafkajs, keyed by unit id, acks from all in-sync replicas), separate from the services and the
 * bench process. Record n is `submissionAt(n)`: a cell never submitted before.
 *   kafka-load.ts <brokers> <topic> burst <count>             as fast as the broker takes them
 *   kafka-load.ts <brokers> <topic> rate <perSecond> <seconds>  at a steady rate, in 10 ms ticks
 * Prints one JSON line: the batches sent, each [first n, count, sent at ms, acknowledged at ms], and
 * the CPU time this process spent producing them.
 */
import kafkajs from 'kafkajs';
import { submissionAt } from './submissions.ts';

const { Kafka, Partitioners, logLevel } = kafkajs;
const [brokers = '', topic = '', mode = 'burst', countOrRate = '0', secondsArg = '0'] = process.argv.slice(2);

/** Records per request in burst mode, and requests in flight at once. */
const BURST_BATCH = 2_000;
const BURST_IN_FLIGHT = 4;
const TICK_MS = 10;

const producer = new Kafka({
  clientId: 'bench-load',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
}).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();

const batches: [number, number, number, number][] = [];
const record = (n: number) => {
  const body = submissionAt(n);
  return { key: body.unitId, value: JSON.stringify({ type: 'submission', body }) };
};
/** Sends records [first, first + count) as one request. */
const send = async (first: number, count: number) => {
  const messages = Array.from({ length: count }, (_, i) => record(first + i));
  const sentAt = Date.now();
  await producer.send({ topic, acks: -1, messages });
  batches.push([first, count, sentAt, Date.now()]);
};

let produced = 0;
const cpuAtStart = process.cpuUsage();
if (mode === 'burst') {
  const total = Number(countOrRate);
  const worker = async () => {
    while (produced < total) {
      const first = produced;
      const count = Math.min(BURST_BATCH, total - first);
      produced += count;
      await send(first, count);
    }
  };
  await Promise.all(Array.from({ length: BURST_IN_FLIGHT }, worker));
} else if (mode === 'rate') {
  const rate = Number(countOrRate);
  const total = Math.round(rate * Number(secondsArg));
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  // Each tick sends what the schedule owes by then, so a late timer catches up instead of drifting.
  while (produced < total) {
    const due = Math.min(total, Math.floor((rate * (Date.now() - started)) / 1000));
    if (due > produced) {
      const sending = send(produced, due - produced);
      produced = due;
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(inFlight);
} else throw new Error(`unknown mode ${mode}`);

const cpu = process.cpuUsage(cpuAtStart);
await producer.disconnect();
batches.sort((a, b) => a[0] - b[0]);
console.log(JSON.stringify({ produced, batches, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
