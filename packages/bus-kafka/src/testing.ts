import { join } from 'node:path';
import { inject } from 'vitest';
import { brokersOf, freePortPair, repoRoot, runBrokerScript } from './broker-script.ts';

/** What the root `vitest.kafka-setup.ts` gives the test files (through vitest's provide/inject). */
export interface KafkaTestEnv {
  readonly brokers: readonly string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestEnv | null;
  }
}

/**
 * The shared broker of the test run (also in `process.env.KAFKA_BROKERS`). Throws when the global
 * setup provided none: Kafka tests fail, they never skip for lack of a broker.
 */
export function kafkaTestEnv(): KafkaTestEnv {
  const env = inject('kafka');
  if (!env?.brokers.length)
    throw new Error(
      'No Kafka broker for this test: vitest.kafka-setup.ts did not start one (it starts one when a ' +
        "selected test file's path or content mentions kafka) and KAFKA_BROKERS is not set.",
    );
  return env;
}

/** A broker of one's own, run by `infra/kafka/broker.sh` with its own state dir and ports. */
export interface PrivateBroker {
  readonly brokers: readonly string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Starts a broker only this test uses, for tests that stop or restart it: the shared broker of the
 * run serves other test files at the same time. Its state is kept in `.cache/kafka-<name>` (no
 * format on later runs). About 4–6 s to start; stop it when done.
 */
export async function startPrivateBroker(name: string): Promise<PrivateBroker> {
  const env: Record<string, string> = { KAFKA_STATE_DIR: join(repoRoot, '.cache', `kafka-${name}`) };
  // One left running by an interrupted run is reused, on its port.
  const status = await runBrokerScript('status', env);
  env.KAFKA_PORT = status.startsWith('running')
    ? (brokersOf(status)[0]?.split(':')[1] ?? '')
    : String(await freePortPair());
  const brokers = brokersOf(await runBrokerScript('start', env));
  return {
    brokers,
    stop: async () => {
      await runBrokerScript('stop', env);
    },
    start: async () => {
      await runBrokerScript('start', env);
    },
  };
}
