/**
 * Vitest global setup: a real Kafka broker for the tests that need one.
 *
 * - KAFKA_BROKERS set: the tests use that broker; nothing is started or stopped.
 * - Otherwise, when the run has a test file whose path or content mentions Kafka (or
 *   LEDGER_TEST_KAFKA=always), it runs `infra/kafka/broker.sh start` (about 4 s; the first run on a
 *   machine also fetches the jars) and stops the broker at the end if it started it. A broker that
 *   does not start fails the run: Kafka tests never skip.
 *
 * Tests read the broker from `process.env.KAFKA_BROKERS` or `kafkaTestEnv()` of
 * `@ledger/bus-kafka/testing`; `process.env.KAFKA_PORT` names its port for `broker.sh restart`.
 */
import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { brokersOf, freePortPair, runBrokerScript } from './packages/bus-kafka/src/broker-script.ts';
import type { KafkaTestEnv } from './packages/bus-kafka/src/testing.ts';

/** The test files of this run (the CLI's file filters applied), or undefined if unknown. */
async function selectedFiles(project: TestProject): Promise<string[] | undefined> {
  try {
    // `filenamePattern` holds the CLI filters (`vitest run some/path`). It is not public API: if it
    // changes, every file counts as selected and the broker is started.
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
    const { testFiles } = await project.globTestFiles(filters);
    return testFiles;
  } catch {
    return undefined;
  }
}

async function needsKafka(project: TestProject): Promise<boolean> {
  if (process.env.LEDGER_TEST_KAFKA === 'always') return true;
  const files = await selectedFiles(project);
  if (!files) return true;
  for (const file of files) {
    // The end-to-end tests run the split services, which talk over Kafka.
    if (/kafka|[\\/]e2e[\\/]/i.test(file)) return true;
    if (/kafka/i.test(await readFile(file, 'utf8').catch(() => ''))) return true;
  }
  return false;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.KAFKA_BROKERS) {
    const provided: KafkaTestEnv = { brokers: process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()) };
    project.provide('kafka', provided);
    return undefined;
  }
  if (!(await needsKafka(project))) {
    project.provide('kafka', null);
    return undefined;
  }

  const started = Date.now();
  const env: Record<string, string> = {};
  // A broker already running from this checkout (`infra/kafka/broker.sh start` in a terminal) is
  // used as it is and left running.
  const startedHere = !(await runBrokerScript('status')).startsWith('running');
  // The default port, or another free one if something else holds it.
  if (startedHere) env.KAFKA_PORT = String(await freePortPair(Number(process.env.KAFKA_PORT ?? 19092)));
  const brokers = brokersOf(await runBrokerScript('start', env));
  if (startedHere) console.log(`kafka: broker ${brokers.join(',')} started in ${Date.now() - started} ms`);

  process.env.KAFKA_BROKERS = brokers.join(',');
  process.env.KAFKA_PORT = (brokers[0] as string).split(':')[1];
  project.provide('kafka', { brokers });

  return async () => {
    if (startedHere) await runBrokerScript('stop', env);
  };
}
