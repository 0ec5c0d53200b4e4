/**
 * The ACLs of serviceAcls against a real broker with SASL/SCRAM-SHA-512 and ACLs
 * (`KAFKA_SASL=scram infra/kafka/broker.sh start`), started here with its own state dir and ports.
 * It fails, never skips, when that broker cannot start; KAFKA_SASL_TESTS=off leaves it out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BusMessage, topics } from '@ledger/bus';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokersOf, freePortPair, repoRoot, runBrokerScript } from '../src/broker-script.ts';
import {
  type AclBinding,
  COMMANDS_TOPIC_PREFIX,
  commandsTopicOf,
  consumerGroups,
  ensureAcls,
  getKafkaBus,
  type KafkaBus,
  type KafkaBusOptions,
  kafkaUserOf,
  serviceAcls,
  type TopicSpec,
} from '../src/index.ts';

const { Kafka, logLevel } = kafkajs;

const services = {
  ingestion: 'ledger-ingestion',
  scoring: 'ledger-scoring',
  projection: 'ledger-projection',
};
const integrators = ['svc:ledger-int-a', 'svc:ledger-int-b'];

/** The rows of docs/topics.md's ACL table: one per principal and resource, its operations together. */
function aclTable(bindings: readonly AclBinding[]): string {
  const rows = new Map<string, string[]>();
  for (const b of bindings) {
    const key = `| \`${b.principal}\` | ${b.resourceType} | ${b.patternType} | \`${b.name}\` |`;
    rows.set(key, [...(rows.get(key) ?? []), b.operation.toUpperCase()]);
  }
  return [
    '| principal | resource | pattern | name | operations (allow) |',
    '|---|---|---|---|---|',
    ...[...rows].map(([key, operations]) => `${key} ${operations.join(', ')} |`),
  ].join('\n');
}

describe('serviceAcls', () => {
  it('is the table of docs/topics.md (namespace "", the integrators of broker.sh)', async () => {
    const docs = await readFile(join(repoRoot, 'docs/topics.md'), 'utf8');
    const table = aclTable(serviceAcls('', services, integrators));
    expect(docs, `docs/topics.md should hold this table:\n${table}\n`).toContain(table);
  });

  it('maps a principal id to its Kafka user and commands topic', () => {
    expect(kafkaUserOf('svc:ledger-int-a')).toBe('ledger-int-a');
    expect(kafkaUserOf('ledger-int-a')).toBe('ledger-int-a');
    expect(commandsTopicOf('svc:int-754', 'ns1.')).toBe('ns1.ledger.commands.v1.int-754');
    expect(`${COMMANDS_TOPIC_PREFIX}rejected`).toBe(topics.rejectedCommands);
    expect(() => kafkaUserOf('svc:rejected')).toThrow(/rejected-commands topic/);
    expect(() => kafkaUserOf('svc:a/b')).toThrow(/Kafka user/);
  });

  it('prefixes every topic and group with the namespace', () => {
    for (const b of serviceAcls('ns-x.', services, integrators))
      expect(b.name.startsWith('ns-x.')).toBe(true);
  });
});

/** The error types and messages of an error, its causes and the errors it aggregates. */
function reasons(error: unknown): string[] {
  const found: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 5) return;
    const { type, message, cause, originalError, errors } = e as Record<string, unknown>;
    if (typeof type === 'string') found.push(type);
    if (typeof message === 'string') found.push(message);
    for (const next of [cause, originalError, ...(Array.isArray(errors) ? errors : [])])
      walk(next, depth + 1);
  };
  walk(error, 0);
  return found;
}

const refusal = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected a refusal, but it succeeded');
  return reasons(error).join(' | ');
};

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms),
    ),
  ]);

describe.skipIf(process.env.KAFKA_SASL_TESTS === 'off')('Kafka with SASL/SCRAM and ACLs', () => {
  const env: Record<string, string> = {
    KAFKA_SASL: 'scram',
    KAFKA_STATE_DIR: join(repoRoot, '.cache', 'kafka-sasl-test'),
  };
  const ns = `sasl-${Date.now().toString(36)}-${process.pid}.`;
  const intA = commandsTopicOf(integrators[0] as string, ns);
  const intB = commandsTopicOf(integrators[1] as string, ns);
  const shared: TopicSpec[] = Object.values(topics).map((t) => ({ topic: ns + t, numPartitions: 1 }));
  let brokers: string[] = [];
  let passwords: Record<string, string> = {};
  const buses: KafkaBus[] = [];
  let admin: ReturnType<InstanceType<typeof Kafka>['admin']> | undefined;

  const sasl = (user: string, password = passwords[user] as string): KafkaBusOptions['sasl'] => ({
    mechanism: 'scram-sha-512',
    username: user,
    password,
  });
  /** The bus as one user; refusals are not retried for long. */
  const busAs = (user: string, password?: string): KafkaBus => {
    const bus = getKafkaBus({
      brokers,
      clientId: `sasl-test-${user}`,
      sasl: sasl(user, password),
      retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 2 },
    });
    buses.push(bus);
    return bus;
  };
  const kafkaAs = (user: string) =>
    new Kafka({
      brokers,
      clientId: `sasl-test-${user}`,
      sasl: { mechanism: 'scram-sha-512', username: user, password: passwords[user] as string },
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 2 },
    });
  const message = (key: string, value: unknown): BusMessage => ({ key, value, headers: {} });

  /**
   * Why the broker or the setup failed, if it did: every test then fails with it (vitest would
   * report them as skipped after a failed beforeAll, and CI's count would say 0 failed).
   */
  let setupFailure: unknown;
  const brokerIt = (name: string, test: () => Promise<void>) =>
    it(name, async () => {
      if (setupFailure) throw setupFailure;
      await test();
    });

  const setup = async () => {
    // One left running by an interrupted run is reused, on its port; otherwise a free pair.
    const status = await runBrokerScript('status', env);
    env.KAFKA_PORT = status.startsWith('running')
      ? (brokersOf(status)[0]?.split(':')[1] ?? '')
      : String(await freePortPair());
    const stdout = await runBrokerScript('start', env);
    const settings = Object.fromEntries(
      stdout
        .split('\n')
        .map((l) => l.replace(/^export /, ''))
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(settings.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    brokers = brokersOf(stdout);
    const users = await readFile(settings.KAFKA_SASL_USERS_FILE as string, 'utf8');
    for (const user of ['ledger-admin', ...Object.values(services), ...integrators.map(kafkaUserOf)]) {
      const name = `KAFKA_SASL_PASSWORD_${user.toUpperCase().replaceAll('-', '_')}`;
      const password = users.match(new RegExp(`^${name}=(.+)$`, 'm'))?.[1];
      if (!password) throw new Error(`no ${name} in ${settings.KAFKA_SASL_USERS_FILE}`);
      passwords = { ...passwords, [user]: password };
    }

    // The admin creates the topics and the ACLs, as a deployment would before the services start.
    admin = kafkaAs('ledger-admin').admin();
    await admin.connect();
    await busAs('ledger-admin').ensureTopics([
      ...shared,
      { topic: intA, numPartitions: 1 },
      { topic: intB, numPartitions: 1 },
    ]);
    const bindings = serviceAcls(ns, services, integrators);
    expect(await ensureAcls(admin, bindings)).toBe(bindings.length);
    // Again: nothing more to create.
    expect(
      await ensureAcls({ brokers, clientId: 'sasl-test-acls', sasl: sasl('ledger-admin') }, bindings),
    ).toBe(0);
  };
  beforeAll(async () => {
    try {
      await setup();
    } catch (error) {
      setupFailure = error;
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    if (admin) {
      // The broker keeps its state between runs: remove this namespace's topics, groups and ACLs.
      const mine = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(ns));
      if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10_000 }).catch(() => undefined);
      const groups = (await admin.listGroups().catch(() => ({ groups: [] }))).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(ns));
      if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
      const { AclResourceTypes, ResourcePatternTypes, AclOperationTypes, AclPermissionTypes } = kafkajs;
      const resources = new Map(
        serviceAcls(ns, services, integrators).map((b) => [
          `${b.resourceType} ${b.patternType} ${b.name}`,
          b,
        ]),
      );
      await admin
        .deleteAcls({
          filters: [...resources.values()].map((b) => ({
            resourceType: b.resourceType === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
            resourceName: b.name,
            resourcePatternType:
              b.patternType === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY,
          })),
        })
        .catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    if (env.KAFKA_PORT) await runBrokerScript('stop', env);
  }, 60_000);

  brokerIt('lets each service pass the start-time topic check (openBus) without CREATE', async () => {
    for (const user of Object.values(services)) await busAs(user).ensureTopics(shared);
    // A user that may not see a topic cannot create it either, and is told that the admin must.
    await expect(busAs('ledger-int-a').ensureTopics(shared)).rejects.toThrow(
      /not authorized to create the missing topics .*ledger\.events\.v1/,
    );
  });

  brokerIt('lets an integrator write its own commands topic, and no other', async () => {
    const a = busAs('ledger-int-a');
    await a.publish(intA, [message('754', { type: 'submission', body: { from: 'a' } })]);
    expect(await refusal(a.publish(intB, [message('754', { forged: true })]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(await refusal(a.publish(ns + topics.events, [message('s', { forged: true })]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(await refusal(a.publish(ns + topics.commands, [message('s', { shared: true })]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });

  brokerIt('lets ingestion read every integrator topic and write the events and rejections', async () => {
    await busAs('ledger-int-b').publish(intB, [message('755', { type: 'submission', body: { from: 'b' } })]);
    // One consumer for the prefix, as ingestion reads the integrators' topics.
    const escaped = (ns + COMMANDS_TOPIC_PREFIX).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const consumer = kafkaAs(services.ingestion).consumer({
      groupId: ns + consumerGroups.ingestion,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    const seen: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [new RegExp(`^${escaped}(?!rejected$)`)], fromBeginning: true });
      await within(
        new Promise<void>((resolve) => {
          void consumer.run({
            eachMessage: async ({ topic }) => {
              seen.push(topic);
              if (seen.includes(intA) && seen.includes(intB)) resolve();
            },
          });
        }),
        30_000,
        'the integrators’ commands',
      );
    } finally {
      await consumer.disconnect();
    }
    expect([...new Set(seen)].sort()).toEqual([intA, intB].sort());

    const ingestion = busAs(services.ingestion);
    await ingestion.publish(ns + topics.events, [message('stream-1', { position: 1 })]);
    await ingestion.publish(ns + topics.rejectedCommands, [message('754', { problem: { status: 422 } })]);
    expect(await refusal(ingestion.publish(ns + topics.checkpoints, [message('x', {})]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });

  brokerIt('lets scoring read the events in its group, but not write them', async () => {
    const scoring = busAs(services.scoring);
    const received: BusMessage[] = [];
    await within(
      new Promise<void>((resolve, reject) => {
        void scoring
          .consume(ns + topics.events, {
            groupId: ns + consumerGroups.scoring,
            onMessages: (messages) => {
              received.push(...messages);
              resolve();
            },
            onError: reject,
          })
          .catch(reject);
      }),
      30_000,
      'the events, as scoring',
    );
    expect(received[0]?.value).toEqual({ position: 1 });
    expect(await refusal(scoring.publish(ns + topics.events, [message('s', { forged: true })]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });

  brokerIt('refuses scoring a group that is not its own', async () => {
    const consumer = kafkaAs(services.scoring).consumer({
      groupId: ns + consumerGroups.ingestion,
      retry: { retries: 0 },
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [ns + topics.events], fromBeginning: true });
      const crashed = new Promise<unknown>((resolve) =>
        consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)),
      );
      await consumer.run({ eachMessage: async () => undefined });
      // kafkajs reports GROUP_AUTHORIZATION_FAILED as "Failed to find group coordinator" (it drops the
      // cause); the broker's authorizer log says why.
      expect(reasons(await within(crashed, 20_000, 'the refusal')).join(' | ')).toMatch(
        /Failed to find group coordinator|GROUP_AUTHORIZATION_FAILED/,
      );
      const log = await readFile(join(env.KAFKA_STATE_DIR as string, 'logs', 'server.log'), 'utf8');
      expect(log).toContain(
        `Principal = User:${services.scoring} is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = Group:LITERAL:${ns}${consumerGroups.ingestion}`,
      );
    } finally {
      await consumer.disconnect();
    }
  });

  brokerIt('lets the projection read the events in its groups and write the checkpoints', async () => {
    const projection = busAs(services.projection);
    await within(
      new Promise<void>((resolve, reject) => {
        void projection
          .consume(ns + topics.events, {
            groupId: `${ns}${consumerGroups.projectionPrefix}as-of-index`,
            onMessages: () => resolve(),
            onError: reject,
          })
          .catch(reject);
      }),
      30_000,
      'the events, as the projection',
    );
    await projection.publish(ns + topics.checkpoints, [message('origin', { size: 1 })]);
    expect(await refusal(projection.publish(ns + topics.events, [message('s', {})]))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
  });

  brokerIt('refuses a wrong password', async () => {
    const wrong = busAs(services.ingestion, 'not-the-password');
    expect(await refusal(wrong.publish(ns + topics.events, [message('s', {})]))).toMatch(
      /SASL SCRAM SHA512 authentication failed/i,
    );
  });
});
