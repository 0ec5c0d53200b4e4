import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';

export type ServiceName = 'ingestion' | 'scoring' | 'projection';
export const SERVICES: readonly ServiceName[] = ['ingestion', 'scoring', 'projection'];

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN: Record<ServiceName, string> = {
  ingestion: join(ROOT, 'services/ingestion/src/main.ts'),
  scoring: join(ROOT, 'services/scoring/src/main.ts'),
  projection: join(ROOT, 'services/projection/src/main.ts'),
};

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  readonly output: string[];
}

/** The three services as separate processes over a real broker, sharing one SQLite store. */
export interface Stack {
  readonly dir: string;
  readonly storePath: string;
  readonly namespace: string;
  url(service: ServiceName): string;
  /** Starts a service (again); extra env such as LEDGER_CRASH_AT. Resolves when it is ready. */
  start(service: ServiceName, env?: Record<string, string>): Promise<void>;
  /** Starts a service that may kill itself before it is ready (a crash point); resolves at once. */
  startToCrash(service: ServiceName, env: Record<string, string>): void;
  /** Starts a service that is expected to kill itself; resolves with its exit (signal) once it has. */
  exited(service: ServiceName): Promise<number | null>;
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  output(service: ServiceName): string;
  /** The process id of a running service (the benchmarks read its CPU time from /proc). */
  pid(service: ServiceName): number | undefined;
  /** Stops the services (SIGTERM), then deletes the namespace's topics and consumer groups from the broker. */
  stop(): Promise<void>;
}

/**
 * Deletes the topics and consumer groups of one namespace. A broker keeps them across runs, and one
 * that has gathered hundreds of test topics takes long to start. Best effort: a broker that cannot be
 * reached (a test stopped it) leaves them, with a warning.
 */
export async function deleteNamespace(brokers: string, namespace: string): Promise<void> {
  if (!namespace)
    throw new Error('refusing to delete the topics of the empty namespace: that is every topic');
  const { Kafka, logLevel } = kafkajs;
  const admin = new Kafka({
    clientId: 'e2e-cleanup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 1 },
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(namespace));
    if (groups.length) await admin.deleteGroups(groups);
  } catch (error) {
    console.warn(`could not delete the topics of namespace ${namespace}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startStack(opts: {
  dir: string;
  brokers: string;
  namespace: string;
  /** Extra environment for every service (e.g. LEDGER_CHECKPOINT_INTERVAL); start(service, env) overrides it. */
  env?: Record<string, string>;
}): Promise<Stack> {
  const running = new Map<ServiceName, Running>();
  const storePath = join(opts.dir, 'ledger.sqlite');

  const spawnService = (service: ServiceName, env: Record<string, string>) => {
    const stateDir = join(opts.dir, service);
    const child = spawn(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', MAIN[service]],
      {
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          LEDGER_BUS: 'kafka',
          LEDGER_STORE: `sqlite:${storePath}`,
          LEDGER_STATE_DIR: stateDir,
          KAFKA_BROKERS: opts.brokers,
          LEDGER_KAFKA_NAMESPACE: opts.namespace,
          ...opts.env,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    child.stderr?.on('data', (chunk) => output.push(String(chunk)));
    const exited = once(child, 'exit').then(([code, signal]) => (signal ? -1 : (code as number | null)));
    return { child, output, exited };
  };

  const start = async (service: ServiceName, env: Record<string, string> = {}) => {
    await mkdir(join(opts.dir, service), { recursive: true });
    const { child, output, exited } = spawnService(service, env);
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        output.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === `${service} ready` && entry.url) resolve(entry.url);
        } catch {
          // not a log line
        }
      });
      exited.then((code) =>
        reject(new Error(`${service} exited (${code}) before it was ready:\n${output.join('\n')}`)),
      );
    });
    running.set(service, { child, url, exited, output });
  };

  const get = (service: ServiceName) => {
    const r = running.get(service);
    if (!r) throw new Error(`${service} is not running`);
    return r;
  };

  const stack: Stack = {
    dir: opts.dir,
    storePath,
    namespace: opts.namespace,
    url: (service) => get(service).url,
    start,
    startToCrash: (service, env) => {
      const { child, output, exited } = spawnService(service, env);
      child.stdout?.on('data', (chunk) => output.push(String(chunk)));
      running.set(service, { child, url: '', exited, output });
    },
    exited: (service) => get(service).exited,
    kill: async (service, signal = 'SIGKILL') => {
      const r = running.get(service);
      if (!r) return;
      r.child.kill(signal);
      await r.exited;
      running.delete(service);
    },
    output: (service) => running.get(service)?.output.join('\n') ?? '',
    pid: (service) => running.get(service)?.child.pid,
    stop: async () => {
      await Promise.all([...running.keys()].map((s) => stack.kill(s, 'SIGTERM')));
      await deleteNamespace(opts.brokers, opts.namespace);
    },
  };
  try {
    for (const service of SERVICES) await start(service);
  } catch (error) {
    // Do not leave the services that did start running.
    await stack.stop();
    throw error;
  }
  return stack;
}
