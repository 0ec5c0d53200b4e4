import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  commandsTopicOf,
  ensureAcls,
  getKafkaBus,
  kafkaUserOf,
  type ServicePrincipals,
  serviceAcls,
} from '@ledger/bus-kafka';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { bootstrapOwner, createIngestion, OWNER, requestHash } from '@ledger/ingestion';
import { openAuthenticator, principalCommandsTopicSpec, topicSpecs } from '@ledger/runtime';
import kafkajs from 'kafkajs';
import { useKey } from './owner-key.ts';

export type ServiceName = 'ingestion' | 'scoring' | 'projection';
export const SERVICES: readonly ServiceName[] = ['ingestion', 'scoring', 'projection'];

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN: Record<ServiceName, string> = {
  ingestion: join(ROOT, 'services/ingestion/src/main.ts'),
  scoring: join(ROOT, 'services/scoring/src/main.ts'),
  projection: join(ROOT, 'services/projection/src/main.ts'),
};

/**
 * The credentials of a broker with SASL/SCRAM and ACLs (`KAFKA_SASL=scram infra/kafka/broker.sh
 * start`): its mechanism and the password of each of its SCRAM users (ledger-admin, the services',
 * ledger-int-a, ledger-int-b).
 */
export interface SaslCredentials {
  readonly mechanism: 'scram-sha-512';
  readonly passwords: Readonly<Record<string, string>>;
}

/** The Kafka user each service authenticates as on a SASL broker (infra/kafka/broker.sh creates them). */
export const SERVICE_USERS: ServicePrincipals & Record<ServiceName, string> = {
  ingestion: 'ledger-ingestion',
  scoring: 'ledger-scoring',
  projection: 'ledger-projection',
};
const ADMIN = 'ledger-admin';

/** The passwords of a broker.sh users file (`KAFKA_SASL_PASSWORD_<USER>=…`, `<USER>` upper-cased, `-` as `_`). */
export async function readSaslUsers(file: string): Promise<SaslCredentials> {
  const text = await readFile(file, 'utf8');
  const passwords: Record<string, string> = {};
  for (const [, name, password] of text.matchAll(/^KAFKA_SASL_PASSWORD_([A-Z0-9_]+)=(\S+)$/gm))
    passwords[(name as string).toLowerCase().replaceAll('_', '-')] = password as string;
  for (const user of [ADMIN, ...Object.values(SERVICE_USERS)])
    if (!passwords[user]) throw new Error(`${file} holds no password for the SCRAM user ${user}`);
  return { mechanism: 'scram-sha-512', passwords };
}

const saslAs = (sasl: SaslCredentials, user: string) => {
  const password = sasl.passwords[user];
  if (!password)
    throw new Error(`the SASL broker has no SCRAM user ${user} (infra/kafka/broker.sh creates a fixed set)`);
  return { mechanism: sasl.mechanism, username: user, password };
};

/** A kafkajs client on the stack's broker: as `user` on a SASL broker (its admin by default). */
function kafkaClientOf(
  brokers: string,
  sasl: SaslCredentials | undefined,
  user = ADMIN,
  clientId = 'e2e-test',
) {
  const { Kafka, logLevel } = kafkajs;
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    ...(sasl ? { sasl: saslAs(sasl, user) } : {}),
  });
}

/** A principal registered (with grants for every unit) before the services start. */
export interface StackPrincipal {
  readonly id: string;
  /** Roles granted for every unit (a unit-scoped grant needs its unit: give it over HTTP). */
  readonly roles: readonly string[];
}

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
  readonly brokers: string;
  /** The SASL broker's credentials, when the stack runs on one (each service as its own SCRAM user). */
  readonly sasl: SaslCredentials | undefined;
  /** The owner's API key (every role): the stack's HTTP helpers send it. */
  readonly ownerKey: string;
  /** A kafkajs client on the stack's broker: on a SASL broker as `user`, the admin by default. */
  kafka(user?: string): InstanceType<typeof kafkajs.Kafka>;
  /**
   * What the admin does when a principal is registered, on a broker with ACLs: create its commands
   * topic and let its Kafka user write it. Without ACLs there is nothing to do: ingestion creates
   * the topic itself.
   */
  admit(principal: string): Promise<void>;
  /** Publishes on a principal's own commands topic, as that principal's Kafka user on a SASL broker. */
  publishAs(
    principal: string,
    records: readonly { key: string; value: string; headers?: Record<string, string> }[],
  ): Promise<void>;
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
  /** Stops the services (SIGTERM), then deletes the namespace's topics, consumer groups (and ACLs) from the broker. */
  stop(): Promise<void>;
}

/**
 * Deletes the topics and consumer groups of one namespace. A broker keeps them across runs, and one
 * that has gathered hundreds of test topics takes long to start. Best effort: a broker that cannot be
 * reached (a test stopped it) leaves them, with a warning.
 */
export async function deleteNamespace(
  brokers: string,
  namespace: string,
  /** A SASL broker's credentials: the admin deletes, and the namespace's ACLs go too. */
  sasl?: SaslCredentials,
): Promise<void> {
  if (!namespace)
    throw new Error('refusing to delete the topics of the empty namespace: that is every topic');
  const { Kafka, logLevel, AclResourceTypes, ResourcePatternTypes, AclOperationTypes, AclPermissionTypes } =
    kafkajs;
  const admin = new Kafka({
    clientId: 'e2e-cleanup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 1 },
    ...(sasl ? { sasl: saslAs(sasl, ADMIN) } : {}),
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(namespace));
    if (groups.length) await admin.deleteGroups(groups);
    if (sasl) {
      // Every ACL whose topic or group the namespace begins (serviceAcls names nothing else).
      const { resources } = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const filters = resources
        .filter((r) => r.resourceName.startsWith(namespace))
        .map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          resourcePatternType: r.resourcePatternType,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        }));
      if (filters.length) await admin.deleteAcls({ filters });
    }
  } catch (error) {
    console.warn(`could not delete the topics of namespace ${namespace}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Registers the owner in a new store, as `ledger access bootstrap` does, and returns its key; then
 * `principals`, as the `ledger` CLI would (a local write).
 */
async function bootstrap(
  storePath: string,
  credentials: string,
  principals: readonly StackPrincipal[],
): Promise<string> {
  await mkdir(dirname(storePath), { recursive: true });
  const store = getSQLiteEventStore({ path: storePath });
  const authenticator = openAuthenticator({ LEDGER_AUTH: true, LEDGER_CREDENTIALS: credentials });
  try {
    const ingestion = createIngestion({ store, logger: createLogger('e2e-bootstrap', 'silent') });
    await ingestion.start();
    const key = await bootstrapOwner({
      store,
      ingestion,
      keys: authenticator?.keys as NonNullable<typeof authenticator>['keys'] & object,
    });
    if (!key) throw new Error(`${storePath} already has an owner; a stack starts on a new store`);
    const commands = principals.flatMap((p) => [
      { type: 'principal', body: { id: p.id, name: p.id } },
      ...p.roles.map((role) => ({ type: 'grant', body: { principalId: p.id, role } })),
    ]);
    if (commands.length)
      await ingestion.execute({
        commands,
        pathOf: (i) => `commands.${i}.body`,
        requestHash: requestHash('e2e-bootstrap', commands),
        actor: OWNER,
        auth: { method: 'local' },
        correlationId: 'e2e-bootstrap',
        causationId: null,
        submissionAddressedBy: 'body',
      });
    return key;
  } finally {
    authenticator?.close();
    await store.close();
  }
}

export async function startStack(opts: {
  dir: string;
  brokers: string;
  namespace: string;
  /** Extra environment for every service (e.g. LEDGER_CHECKPOINT_INTERVAL); start(service, env) overrides it. */
  env?: Record<string, string>;
  /**
   * A broker with SASL/SCRAM and ACLs: before the services start, its admin creates the
   * namespace's topics (those of `principals` too) and ACLs (`serviceAcls`), and each service
   * connects as its own SCRAM user (SERVICE_USERS).
   */
  sasl?: SaslCredentials;
  /** Principals registered before the services start, e.g. integrators (their Kafka users, on a SASL broker). */
  principals?: readonly StackPrincipal[];
}): Promise<Stack> {
  const running = new Map<ServiceName, Running>();
  const starting = new Map<ServiceName, string[]>();
  const storePath = join(opts.dir, 'ledger.sqlite');
  const credentials = join(opts.dir, 'credentials.sqlite');
  const { sasl, namespace: ns } = opts;
  const principals = opts.principals ?? [];
  const ownerKey = await bootstrap(storePath, credentials, principals);
  useKey(ownerKey);

  /** As the admin of a SASL broker: a principal's commands topic, and the ACL that lets it write it. */
  const admitAll = async (ids: readonly string[]) => {
    if (!sasl) return;
    const adminSasl = saslAs(sasl, ADMIN);
    const bus = getKafkaBus({ brokers: opts.brokers.split(','), clientId: 'e2e-admin', sasl: adminSasl });
    try {
      await bus.ensureTopics(
        ids.map((id) => ({
          ...principalCommandsTopicSpec(commandsTopicOf(id), 1),
          topic: commandsTopicOf(id, ns),
        })),
      );
    } finally {
      await bus.close();
    }
    await ensureAcls(
      { brokers: opts.brokers.split(','), clientId: 'e2e-admin', sasl: adminSasl },
      serviceAcls(ns, SERVICE_USERS, ids),
    );
  };
  if (sasl) {
    // What a deployment's admin does before the services start: the topics, then the ACLs.
    const bus = getKafkaBus({
      brokers: opts.brokers.split(','),
      clientId: 'e2e-admin',
      sasl: saslAs(sasl, ADMIN),
    });
    try {
      await bus.ensureTopics(topicSpecs(1).map((t) => ({ ...t, topic: ns + t.topic })));
    } finally {
      await bus.close();
    }
    await admitAll(principals.map((p) => p.id));
  }
  const saslEnv = (service: ServiceName): Record<string, string> =>
    sasl
      ? {
          KAFKA_SASL_MECHANISM: sasl.mechanism,
          KAFKA_SASL_USERNAME: SERVICE_USERS[service],
          KAFKA_SASL_PASSWORD: saslAs(sasl, SERVICE_USERS[service]).password,
        }
      : {};

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
          // API keys in one credential store the three share; the shared commands topic acts as the
          // owner (each principal also has its own topic, read as that principal).
          LEDGER_CREDENTIALS: credentials,
          LEDGER_KAFKA_COMMANDS_PRINCIPAL: OWNER,
          // Principals registered over HTTP get their commands topics read within a second.
          LEDGER_KAFKA_COMMANDS_RECHECK: '1',
          ...saslEnv(service),
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
    // Its output is read while it starts too (a service waiting for its broker says where it answers).
    starting.set(service, output);
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
    }).finally(() => starting.delete(service));
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
    brokers: opts.brokers,
    sasl,
    ownerKey,
    kafka: (user) => kafkaClientOf(opts.brokers, sasl, user),
    admit: (principal) => admitAll([principal]),
    publishAs: async (principal, records) => {
      const producer = kafkaClientOf(opts.brokers, sasl, kafkaUserOf(principal), 'e2e-integrator').producer({
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      try {
        await producer.send({ topic: commandsTopicOf(principal, ns), acks: -1, messages: [...records] });
      } finally {
        await producer.disconnect();
      }
    },
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
    output: (service) => (running.get(service)?.output ?? starting.get(service) ?? []).join('\n'),
    pid: (service) => running.get(service)?.child.pid,
    stop: async () => {
      await Promise.all([...running.keys()].map((s) => stack.kill(s, 'SIGTERM')));
      await deleteNamespace(opts.brokers, opts.namespace, sasl);
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
