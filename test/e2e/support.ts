import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLedgerIndex, foldRecorded, type RecordedEvent, viewAt } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { rankingReport } from '@ledger/reports';
import { expectedScoreEvents } from '@ledger/scoring';
import { Kafka, logLevel } from 'kafkajs';
import { authorization } from './owner-key.ts';
import { readSaslUsers, type SaslCredentials, type Stack, type StackPrincipal, startStack } from './stack.ts';

export const brokers = (): string => {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set: the Kafka global setup did not run');
  return value;
};

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

export const uniqueNamespace = (name: string) => `t${Date.now().toString(36)}-${name}-`;

/**
 * The broker with SASL/SCRAM and ACLs that CI starts beside the plaintext one (`.ci/run`):
 * LEDGER_E2E_SASL_BROKERS and LEDGER_E2E_SASL_USERS_FILE (what `KAFKA_SASL=scram
 * infra/kafka/broker.sh start` prints as KAFKA_BROKERS and KAFKA_SASL_USERS_FILE). Undefined when
 * neither is set; an error (the test fails, it does not skip) when one is missing or the file is
 * unreadable.
 */
export async function saslBroker(): Promise<{ brokers: string; sasl: SaslCredentials } | undefined> {
  const list = process.env.LEDGER_E2E_SASL_BROKERS;
  const file = process.env.LEDGER_E2E_SASL_USERS_FILE;
  if (!list && !file) return undefined;
  if (!list || !file)
    throw new Error(
      'LEDGER_E2E_SASL_BROKERS and LEDGER_E2E_SASL_USERS_FILE go together: set both, or neither',
    );
  return { brokers: list, sasl: await readSaslUsers(file) };
}

/**
 * The three services in a fresh directory, on a namespace of their own: on the shared broker unless
 * told, or (`sasl`) on the SASL broker of LEDGER_E2E_SASL_* when those are set (CI sets them).
 */
export async function startTestStack(
  name: string,
  list?: string,
  options: { sasl?: boolean; principals?: readonly StackPrincipal[] } = {},
): Promise<Stack> {
  const secured = options.sasl ? await saslBroker() : undefined;
  return startStack({
    dir: await tempDir(`ledger-${name}-`),
    brokers: secured?.brokers ?? list ?? brokers(),
    namespace: uniqueNamespace(name),
    ...(secured ? { sasl: secured.sasl } : {}),
    ...(options.principals ? { principals: options.principals } : {}),
  });
}

/** Stops a test stack (its topics and groups go with it) and removes its directory. */
export async function removeStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.stop();
  await rm(stack.dir, { recursive: true, force: true });
}

/**
 * Polls `probe` until it returns a value. A probe can say why it is not done yet (`note`); on a
 * timeout the error gives the last such reason and the last error the probe threw.
 */
export async function waitUntil<T>(
  what: string,
  probe: (note: (why: string) => undefined) => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let why = '';
  const note = (reason: string) => {
    why = reason;
    return undefined;
  };
  for (;;) {
    try {
      const value = await probe(note);
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${why ? `; last seen: ${why}` : ''}${last ? `; last error: ${String(last)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers read by the tests
export const getJson = async (url: string): Promise<any> => {
  const res = await fetch(url, { headers: authorization() });
  return { status: res.status, body: await res.json() };
};

// biome-ignore lint/suspicious/noExplicitAny: JSON answers read by the tests
export const postJson = async (url: string, body: unknown): Promise<any> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization() },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

/** The whole log, read straight from the store file. */
export async function readLog(storePath: string): Promise<RecordedEvent[]> {
  const store = getSQLiteEventStore({ path: storePath });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

/** A full replay: every event of the log folded into a fresh index, then ranked. */
export function replayRanking(log: readonly RecordedEvent[], methodologyId: string, period: string) {
  const index = createLedgerIndex();
  for (const e of log) foldRecorded(index, e);
  return rankingReport(viewAt(index), methodologyId, period);
}

/** The score events in the log, and those a clean run of the scoring logic over it gives. */
export function scoreAudit(log: readonly RecordedEvent[]) {
  return {
    recorded: log
      .filter((e) => e.type === 'ledger.score-computed.v1')
      .map((e) => ({ streamId: e.streamId, data: e.data })),
    expected: expectedScoreEvents(log),
  };
}

export function kafkaClient(list = brokers()) {
  return new Kafka({ clientId: 'e2e-test', brokers: list.split(','), logLevel: logLevel.NOTHING });
}

/** An integrator publishing commands on the namespaced commands topic. */
export async function publishCommands(
  namespace: string,
  records: { key: string; value: string; headers?: Record<string, string> }[],
  list = brokers(),
) {
  const producer = kafkaClient(list).producer();
  await producer.connect();
  try {
    await producer.send({ topic: `${namespace}ledger.commands.v1`, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads every record of a topic from the start until `count` have arrived: on the shared broker, or
 * on a stack's (as its admin, on a SASL broker).
 */
export async function readTopic(topic: string, count: number, timeoutMs = 20_000, stack?: Stack) {
  const client = stack ? stack.kafka() : kafkaClient();
  // In the stack's namespace, so that its group goes with it.
  const group = `${stack?.namespace ?? ''}e2e-reader-${Date.now()}-${Math.random()}`;
  const consumer = client.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: { key: string; value: unknown; headers: Record<string, string> }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      records.push({ key: String(message.key), value: JSON.parse(String(message.value)), headers });
    },
  });
  try {
    return await waitUntil(
      `${count} records on ${topic}`,
      async () => (records.length >= count ? records : undefined),
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
}
