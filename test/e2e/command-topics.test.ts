/**
 * The principals' own commands topics over the real Kafka broker of vitest.kafka-setup.ts (never
 * skipped; plaintext, so ingestion creates the topics itself): the command consumer of ingestion on
 * the split deployment's bus (`openBus`), in one process. Who a record acts as and how it is
 * authorised: services/ingestion/test/command-topics.test.ts; the three services over SASL/SCRAM
 * with ACLs, where the admin creates the topics: split.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaTestEnv } from '@ledger/bus-kafka/testing';
import type { RecordedEvent } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger, kafkaSource } from '@ledger/http';
import {
  type CommandConsumer,
  createIngestion,
  type Ingestion,
  type RejectedCommand,
  startCommandConsumer,
} from '@ledger/ingestion';
import { integrator, TWO_DISTRICTS, write } from '@ledger/ingestion/testing';
import { serviceConfig } from '@ledger/runtime';
import { openBus } from '@ledger/runtime/service';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteNamespace } from './stack.ts';

const topics = {
  commands: 'ledger.commands.v1',
  rejectedCommands: 'ledger.commands.v1.rejected',
} as const;

const { Kafka, logLevel } = kafkajs;
const silent = createLogger('command-topics-test', 'silent');

/** Setup writes are made as the `ledger` CLI makes them: not authorised against grants. */
const local = write;

const submission = (unitId: string, value: number, period = '2023') =>
  JSON.stringify({ type: 'submission', body: { unitId, indicator: 'on-time', period, value } });

const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('the principals’ commands topics, on Kafka', () => {
  const brokers = [...kafkaTestEnv().brokers];
  const ns = `t${Date.now().toString(36)}-${process.pid}-cmd.`;
  const kafka = new Kafka({ clientId: 'command-topics-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const dir = mkdtempSync(join(tmpdir(), 'command-topics-'));
  const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
  const rejected: { value: RejectedCommand; headers: Record<string, string> }[] = [];
  const reader = kafka.consumer({ groupId: `${ns}test-reader`, maxWaitTimeInMs: 200 });
  let bus: Awaited<ReturnType<typeof openBus>>;
  let ingestion: Ingestion;
  let consumer: CommandConsumer;

  const publish = (principal: string, messages: { key: string; value: string; headers?: object }[]) =>
    producer.send({
      topic: `${ns}ledger.commands.v1.${principal}`,
      acks: -1,
      messages: messages as { key: string; value: string; headers?: Record<string, string> }[],
    });
  const recorded = async (unitId: string): Promise<RecordedEvent[]> =>
    (await store.readAll()).filter(
      (e) => e.type === 'ledger.value-submitted.v1' && (e.data as { unitId: string }).unitId === unitId,
    );
  const rejectionsFrom = (topic: string) => rejected.filter((r) => kafkaSource(r.value).topic === ns + topic);

  beforeAll(async () => {
    const config = serviceConfig(0).parse({
      LEDGER_BUS: 'kafka',
      KAFKA_BROKERS: brokers.join(','),
      LEDGER_KAFKA_NAMESPACE: ns,
      LEDGER_AUTH: 'off',
    });
    bus = await openBus(config, 'command-topics-test', silent);
    ingestion = createIngestion({ store, logger: silent });
    await ingestion.start();
    await ingestion.execute(local([...TWO_DISTRICTS, ...integrator('svc:int-a', '747')]));
    await Promise.all([admin.connect(), producer.connect(), reader.connect()]);
    await reader.subscribe({ topic: ns + topics.rejectedCommands, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        rejected.push({
          value: JSON.parse(String(message.value)),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    consumer = await startCommandConsumer({
      bus,
      store,
      ingestion,
      logger: silent,
      principal: undefined,
      recheckMs: 300,
    });
  }, 60_000);

  afterAll(async () => {
    await consumer?.close();
    await reader.disconnect();
    await producer.disconnect();
    await bus?.close();
    await store.close();
    await admin.disconnect();
    await deleteNamespace(brokers.join(','), ns);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('reads the topic of a principal registered before it started (created here: no ACLs)', async () => {
    expect(consumer.topics()).toEqual([topics.commands, 'ledger.commands.v1.int-a']);
    expect(await admin.listTopics()).toContain(`${ns}ledger.commands.v1.int-a`);
  });

  it('records a submission for the unit in scope as the topic’s principal, and refuses one for another unit (403)', async () => {
    await publish('int-a', [
      { key: '747', value: submission('747', 97.5) },
      { key: '748', value: submission('748', 88) },
    ]);
    const event = await until('the submission for 747', async () => (await recorded('747'))[0]);
    expect(event?.metadata).toMatchObject({
      actor: 'svc:int-a',
      auth: { method: 'kafka-topic', topic: 'ledger.commands.v1.int-a' },
    });
    const [refused] = await until('the refusal for 748', () => {
      const found = rejectionsFrom('ledger.commands.v1.int-a');
      return found.length > 0 ? found : undefined;
    });
    expect(refused?.value.problem.status).toBe(403);
    expect(refused?.value.problem.detail).toMatch(/svc:int-a holds no integrator grant for unit 748/);
    expect(refused?.headers['rejection-status']).toBe('403');
    expect(await recorded('748')).toEqual([]);
  });

  it('reads the topic of a principal registered later without a restart, and reads nothing twice', async () => {
    await ingestion.execute(local(integrator('svc:int-b', '748')));
    // Within a look or two (300 ms here): the topic is created, and the consumer reads it too.
    await until('the new topic to be read', () =>
      consumer.topics().includes('ledger.commands.v1.int-b') ? true : undefined,
    );
    expect(await admin.listTopics()).toContain(`${ns}ledger.commands.v1.int-b`);
    await publish('int-b', [{ key: '748', value: submission('748', 91) }]);
    const event = await until('the submission for 748', async () => (await recorded('748'))[0]);
    expect(event?.metadata).toMatchObject({
      actor: 'svc:int-b',
      auth: { method: 'kafka-topic', topic: 'ledger.commands.v1.int-b' },
    });
    // What int-a's topic held was committed before the consumer started again on more topics.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await recorded('747')).toHaveLength(1);
    expect(rejectionsFrom('ledger.commands.v1.int-a')).toHaveLength(1);
  });

  it('never copies credential-like headers into a rejected record, and reads none as a credential', async () => {
    await publish('int-a', [
      {
        key: '748',
        value: submission('748', 70, '2024'),
        headers: {
          authorization: 'Bearer ilk_0123456789abcdef.secret',
          'x-api-key': 'ilk_0123456789abcdef.secret',
          'x-forwarded-note': 'Bearer abc.def',
          'correlation-id': 'cred-test-1',
        },
      },
    ]);
    const refused = await until('the refusal', () =>
      rejected.find((r) => r.value.headers['correlation-id'] === 'cred-test-1'),
    );
    expect(refused.value.problem.status).toBe(403);
    expect(refused.value.headers).toEqual({ 'correlation-id': 'cred-test-1' });
    expect(refused.headers).toEqual({ 'correlation-id': 'cred-test-1', 'rejection-status': '403' });
    expect(JSON.stringify(refused)).not.toMatch(/ilk_|Bearer/);
  });
});
