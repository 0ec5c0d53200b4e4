/**
 * Driving `infra/kafka/broker.sh` from Node: for the test setup and the tests, not for services.
 * This module must not import vitest: the global setup runs it outside the test workers.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const brokerScriptPath = fileURLToPath(new URL('../../../infra/kafka/broker.sh', import.meta.url));

const run = promisify(execFile);

/**
 * Runs `broker.sh <command>` with these variables (KAFKA_PORT, KAFKA_STATE_DIR…) and returns its
 * stdout. `status` of a stopped broker returns "stopped" rather than throwing.
 */
export async function runBrokerScript(
  command: 'start' | 'stop' | 'restart' | 'status',
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  try {
    const { stdout } = await run('bash', [brokerScriptPath, command], {
      env: { ...process.env, ...env },
      // The first start on a machine also fetches the jars with Maven.
      timeout: 600_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number; message: string };
    if (command === 'status' && e.code === 1) return e.stdout ?? 'stopped';
    throw new Error(
      `infra/kafka/broker.sh ${command} failed (${e.message.split('\n')[0]}):\n${e.stderr ?? ''}`,
    );
  }
}

/** The brokers of a `KAFKA_BROKERS=host:port[,…]` line. */
export function brokersOf(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('KAFKA_BROKERS=') || l.includes('KAFKA_BROKERS='));
  const match = line?.match(/KAFKA_BROKERS=([^\s)]+)/);
  if (!match?.[1]) throw new Error(`infra/kafka/broker.sh printed no KAFKA_BROKERS line:\n${stdout}`);
  return match[1].split(',');
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port whose next port is free too (the broker's and its controller's): `preferred` if possible. */
export async function freePortPair(preferred?: number): Promise<number> {
  if (preferred !== undefined && (await portFree(preferred)) && (await portFree(preferred + 1)))
    return preferred;
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error('no free pair of ports for a Kafka broker');
}
