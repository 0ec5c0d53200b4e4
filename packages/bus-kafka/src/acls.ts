/**
 * The Kafka ACLs of the split deployment: what each service and each integrator may do, as data
 * (`serviceAcls`), and their creation on a broker (`ensureAcls`). docs/topics.md ("Access control")
 * lists the same bindings as a table, and the SASL test checks both against a real broker.
 *
 * Each service authenticates as its own SCRAM user; the broker's super user (ledger-admin in
 * `infra/kafka/broker.sh`) creates the topics and these ACLs before the services start. The
 * services get no CREATE: the admin makes the topics, with their settings, and `openBus`'s
 * `ensureTopics` at start only finds them, for which every service may DESCRIBE every shared topic.
 */
import { COMMANDS_TOPIC_PREFIX, commandsTopicOf, commandsTopicSuffixOf, topics } from '@ledger/bus';
import type { AclEntry, Admin, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { KafkaBusOptions } from './kafka-bus.ts';

const {
  Kafka,
  logLevel: LogLevel,
  AclResourceTypes,
  ResourcePatternTypes,
  AclOperationTypes,
  AclPermissionTypes,
} = kafkajs;

export type AclOperation = 'read' | 'write' | 'describe';

/** One ACL: `principal` may do `operation` on the topics or groups `name` names (or begins). */
export interface AclBinding {
  readonly resourceType: 'topic' | 'group';
  readonly patternType: 'literal' | 'prefixed';
  readonly name: string;
  /** `User:<Kafka user>`. */
  readonly principal: string;
  readonly operation: AclOperation;
  readonly permission: 'allow';
}

/** The Kafka users the services authenticate as. */
export interface ServicePrincipals {
  readonly ingestion: string;
  readonly scoring: string;
  readonly projection: string;
}

/**
 * The prefix of the principals' commands topics, `ledger.commands.v1.<Kafka user>`, and the topic
 * of a principal: the name mapping is the bus port's (`@ledger/bus`, commands-topics.ts), which
 * ingestion reads topics by; these are the same functions.
 */
export { COMMANDS_TOPIC_PREFIX, commandsTopicOf };

/**
 * The Kafka user of a principal id: the id without its scheme (`svc:ledger-int-a` → `ledger-int-a`),
 * or the id itself if it has none. It also names the principal's commands topic, so it must be
 * valid in a topic name (letters, digits, `.`, `_`, `-`) and must not be `rejected`.
 */
export const kafkaUserOf = (principal: string): string => commandsTopicSuffixOf(principal);

/** The consumer groups, as the services name them (`LEDGER_KAFKA_NAMESPACE` prefixes them too). */
export const consumerGroups = {
  /** services/ingestion/src/command-consumer.ts */
  ingestion: 'ingestion-commands',
  /** services/scoring/src/follower.ts and thread.ts */
  scoring: 'scoring',
  /** services/projection/src/projection.ts: `projection-<name>`, `projection-as-of-index` by default. */
  projectionPrefix: 'projection-',
} as const;

/**
 * The ACLs each service and each integrator needs, in a namespace (`LEDGER_KAFKA_NAMESPACE`, which
 * prefixes topics and groups alike; may be ''). `principals` are the services' Kafka users;
 * `integrators` their principal ids (see `kafkaUserOf`).
 *
 * - ingestion reads every integrator's commands topic (the prefix) and the shared one (which no one
 *   may write), in group `ingestion-commands`, and writes the events (the relay) and the rejected
 *   commands;
 * - scoring reads the events, in group `scoring`;
 * - projection reads the events, in groups `projection-…`, and the rejected commands (its refusals
 *   journal), and writes the signed checkpoints;
 * - an integrator writes its own commands topic, and nothing else;
 * - every service may DESCRIBE every shared topic: `openBus` checks them all at start.
 */
export function serviceAcls(
  namespace: string,
  principals: ServicePrincipals,
  integrators: readonly string[],
): AclBinding[] {
  const ns = namespace;
  const bindings: AclBinding[] = [];
  const seen = new Set<string>();
  const allow = (
    user: string,
    resourceType: AclBinding['resourceType'],
    patternType: AclBinding['patternType'],
    name: string,
    operations: readonly AclOperation[],
  ) => {
    for (const operation of operations) {
      const binding: AclBinding = {
        resourceType,
        patternType,
        name,
        principal: `User:${kafkaUserOf(user)}`,
        operation,
        permission: 'allow',
      };
      const key = bindingKey(binding);
      if (seen.has(key)) continue;
      seen.add(key);
      bindings.push(binding);
    }
  };
  const shared = Object.values(topics).map((t) => ns + t);
  const describeShared = (user: string) => {
    for (const topic of shared) allow(user, 'topic', 'literal', topic, ['describe']);
  };

  const { ingestion, scoring, projection } = principals;
  allow(ingestion, 'topic', 'prefixed', ns + COMMANDS_TOPIC_PREFIX, ['read', 'describe']);
  // The shared commands topic, which the command consumer reads today: no one may write it, so it
  // stays empty, and the consumer does not stop for want of READ.
  allow(ingestion, 'topic', 'literal', ns + topics.commands, ['read', 'describe']);
  allow(ingestion, 'topic', 'literal', ns + topics.events, ['write', 'describe']);
  allow(ingestion, 'topic', 'literal', ns + topics.rejectedCommands, ['write', 'describe']);
  allow(ingestion, 'group', 'literal', ns + consumerGroups.ingestion, ['read']);
  describeShared(ingestion);

  allow(scoring, 'topic', 'literal', ns + topics.events, ['read', 'describe']);
  allow(scoring, 'group', 'literal', ns + consumerGroups.scoring, ['read']);
  describeShared(scoring);

  allow(projection, 'topic', 'literal', ns + topics.events, ['read', 'describe']);
  allow(projection, 'group', 'prefixed', ns + consumerGroups.projectionPrefix, ['read']);
  allow(projection, 'topic', 'literal', ns + topics.checkpoints, ['write', 'describe']);
  // The refusals journal (group projection-refusals) follows what ingestion refused.
  allow(projection, 'topic', 'literal', ns + topics.rejectedCommands, ['read', 'describe']);
  describeShared(projection);

  for (const integrator of integrators)
    allow(integrator, 'topic', 'literal', commandsTopicOf(integrator, ns), ['write', 'describe']);
  return bindings;
}

const bindingKey = (b: AclBinding): string =>
  [b.resourceType, b.patternType, b.name, b.principal, b.operation, b.permission].join('\u0000');

const toEntry = (b: AclBinding): AclEntry => ({
  resourceType: b.resourceType === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
  resourcePatternType:
    b.patternType === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
  resourceName: b.name,
  principal: b.principal,
  host: '*',
  operation: {
    read: AclOperationTypes.READ,
    write: AclOperationTypes.WRITE,
    describe: AclOperationTypes.DESCRIBE,
  }[b.operation],
  permissionType: AclPermissionTypes.ALLOW,
});

const entryKey = (e: AclEntry): string =>
  [
    e.resourceType,
    e.resourcePatternType,
    e.resourceName,
    e.principal,
    e.host,
    e.operation,
    e.permissionType,
  ].join('\u0000');

/** How to reach the broker as its admin (a super user, or a user with ALTER and DESCRIBE on the cluster). */
export type AclAdminConnection = Pick<KafkaBusOptions, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

const isAdmin = (target: Admin | AclAdminConnection): target is Admin =>
  typeof (target as Admin).createAcls === 'function';

/**
 * Creates the bindings the broker does not have yet; returns how many it created (0 when all were
 * there: running it again changes nothing). Takes a connected kafkajs Admin, or the connection
 * options of one, which it then opens and closes.
 */
export async function ensureAcls(
  target: Admin | AclAdminConnection,
  bindings: readonly AclBinding[],
): Promise<number> {
  if (bindings.length === 0) return 0;
  if (isAdmin(target)) return createMissing(target, bindings);
  const admin = new Kafka({
    brokers: [...target.brokers],
    clientId: target.clientId,
    connectionTimeout: 3_000,
    logLevel: LogLevel.NOTHING,
    ...(target.ssl !== undefined ? { ssl: target.ssl } : {}),
    ...(target.sasl ? { sasl: { ...target.sasl } as SASLOptions } : {}),
  }).admin();
  await admin.connect();
  try {
    return await createMissing(admin, bindings);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function createMissing(admin: Admin, bindings: readonly AclBinding[]): Promise<number> {
  const existing = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const have = new Set<string>();
  for (const resource of existing.resources)
    for (const acl of resource.acls)
      have.add(
        entryKey({
          resourceType: resource.resourceType,
          resourcePatternType: resource.resourcePatternType,
          resourceName: resource.resourceName,
          ...acl,
        }),
      );
  const wanted = new Map<string, AclEntry>();
  for (const entry of bindings.map(toEntry))
    if (!have.has(entryKey(entry))) wanted.set(entryKey(entry), entry);
  if (wanted.size === 0) return 0;
  // Creating an ACL that another admin created in between is no error: the broker keeps one.
  await admin.createAcls({ acl: [...wanted.values()] });
  return wanted.size;
}
