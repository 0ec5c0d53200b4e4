/**
 * The principals' own commands topics (command-consumer.ts), on the in-process bus: who a record
 * acts as, how it is authorised, and how the topics of principals registered later are read. The
 * same over the real broker: test/e2e/command-topics.test.ts (plaintext, ingestion creates the
 * topics) and test/e2e/split.test.ts (SASL/SCRAM with ACLs in CI, the admin creates them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, type BusMessage, getInProcessBus, type PreparedTopics, topics } from '@ledger/bus';
import type { RecordedEvent } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger, kafkaSource } from '@ledger/http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type CommandActor, type RejectedCommand, startCommandConsumer } from '../src/command-consumer.ts';
import { createIngestion } from '../src/ingest.ts';
import { integrator, TWO_DISTRICTS, write } from '../src/testing.ts';

const silent = createLogger('command-topics-test', 'silent');

/** Setup writes are made as the `ledger` CLI makes them: not authorised against grants. */
const local = write;

/** A submission record; each value its own period, so that none is refused as a second submission. */
const record = (unitId: string, value: number, headers: Record<string, string> = {}): BusMessage => ({
  key: unitId,
  value: {
    type: 'submission',
    body: { unitId, indicator: 'on-time', period: String(2000 + (Math.floor(value) % 24)), value },
  },
  headers,
});

const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5_000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the principals’ commands topics', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A ledger with the reference data and these principals, and a command consumer on `bus`. */
  async function ledger(
    options: {
      principals?: { type: string; body: object }[];
      bus?: Bus;
      shared?: CommandActor;
      everyRecordAs?: CommandActor;
      logger?: typeof silent;
    } = {},
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'command-topics-'));
    const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const ingestion = createIngestion({ store, logger: silent });
    await ingestion.start();
    await ingestion.execute(local([...TWO_DISTRICTS, ...(options.principals ?? [])]));
    const bus = options.bus ?? getInProcessBus();
    const rejected: { value: RejectedCommand; headers: Readonly<Record<string, string>> }[] = [];
    const reader = await bus.consume(topics.rejectedCommands, {
      groupId: 'test-reader',
      onMessages: (messages) => {
        for (const m of messages) rejected.push({ value: m.value as RejectedCommand, headers: m.headers });
      },
    });
    const consumer = await startCommandConsumer({
      bus,
      store,
      ingestion,
      logger: options.logger ?? silent,
      principal: options.shared,
      ...(options.everyRecordAs ? { everyRecordAs: options.everyRecordAs } : {}),
      recheckMs: 50,
    });
    cleanups.push(async () => {
      await consumer.close();
      await reader.close();
      await bus.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const values = async (): Promise<RecordedEvent[]> =>
      (await store.readAll()).filter((e) => e.type === 'ledger.value-submitted.v1');
    const rejection = (status: number) =>
      until(`a ${status} on the rejected topic`, () =>
        rejected.find((r) => r.value.problem.status === status),
      );
    return { bus, store, ingestion, consumer, rejected, values, rejection };
  }

  it('records what a principal may do as that principal, authorised as over HTTP; refuses the rest with 403', async () => {
    const { bus, consumer, values, rejection } = await ledger({ principals: integrator('svc:int-a', '747') });
    expect(consumer.topics()).toEqual([topics.commands, 'ledger.commands.v1.int-a']);
    await bus.publish('ledger.commands.v1.int-a', [record('747', 97.5), record('748', 88)]);

    const refused = await rejection(403);
    expect(refused.value.source).toEqual({ topic: 'ledger.commands.v1.int-a', partition: 0, offset: '1' });
    expect(refused.value.problem.detail).toMatch(
      /^svc:int-a holds no integrator grant for unit 748 in force on \d{4}-\d\d-\d\d$/,
    );
    expect(refused.headers['rejection-status']).toBe('403');
    const [recorded, ...others] = await values();
    expect(others).toEqual([]);
    expect(recorded?.data).toMatchObject({ unitId: '747', value: 97.5 });
    expect(recorded?.metadata).toMatchObject({
      actor: 'svc:int-a',
      auth: { method: 'kafka-topic', topic: 'ledger.commands.v1.int-a' },
    });
  });

  it('judges a correction by its submission’s unit: an appraiser of 747 cannot correct 748’s value by its id', async () => {
    const { bus, ingestion, values, rejection } = await ledger({
      principals: [
        { type: 'principal', body: { id: 'svc:app-a', name: 'Appraiser of 747' } },
        { type: 'grant', body: { principalId: 'svc:app-a', role: 'appraiser', unitId: '747' } },
      ],
    });
    await ingestion.execute(
      local([
        { type: 'submission', body: { unitId: '748', indicator: 'on-time', period: '2023', value: 70 } },
      ]),
    );
    const [theirs] = await values();
    expect(theirs).toBeDefined();
    const { submissionId } = (theirs as RecordedEvent).data as { submissionId: string };
    await bus.publish('ledger.commands.v1.app-a', [
      {
        key: '748',
        value: { type: 'correction', body: { submissionId, value: 99, reason: 'Sửa' } },
        headers: {},
      },
    ]);
    const refused = await rejection(403);
    expect(refused.value.problem.errors?.map((e) => e.path)).toEqual(['body.submissionId']);
    expect(ingestion.state().submissions.get(submissionId)?.value).toBe(70);
  });

  it('reads the topic of a principal registered later without a restart, and nothing it read before again', async () => {
    const { bus, ingestion, consumer, values, rejected } = await ledger({
      principals: integrator('svc:int-a', '747'),
    });
    await bus.publish('ledger.commands.v1.int-a', [record('747', 90), record('748', 80)]);
    await until('int-a’s records', async () =>
      (await values()).length === 1 && rejected.length === 1 ? true : undefined,
    );
    // Published before its principal is registered: read from its start once it is.
    await bus.publish('ledger.commands.v1.int-b', [record('748', 91)]);

    await ingestion.execute(local(integrator('svc:int-b', '748')));
    await until('the new topic to be read', () =>
      consumer.topics().includes('ledger.commands.v1.int-b') ? true : undefined,
    );
    const all = await until('int-b’s record', async () => {
      const found = await values();
      return found.length === 2 ? found : undefined;
    });
    expect(all.map((e) => [e.metadata.actor, (e.data as { unitId: string }).unitId])).toEqual([
      ['svc:int-a', '747'],
      ['svc:int-b', '748'],
    ]);
    expect(consumer.topics()).toEqual([
      topics.commands,
      'ledger.commands.v1.int-a',
      'ledger.commands.v1.int-b',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rejected).toHaveLength(1);
    expect(await values()).toHaveLength(2);
  });

  it('keys each record by its topic too: the same offset on two topics is two records', async () => {
    // The shared topic acting as int-a, beside int-a's own topic: one principal, two topics.
    const { bus, values } = await ledger({
      principals: integrator('svc:int-a', '747'),
      shared: { id: 'svc:int-a', auth: { method: 'kafka-topic', topic: topics.commands } },
    });
    await bus.publish('ledger.commands.v1.int-a', [record('747', 91)]);
    await bus.publish(topics.commands, [record('747', 92)]);
    const both = await until('both records', async () => {
      const found = await values();
      return found.length === 2 ? found : undefined;
    });
    expect(both.map((e) => [(e.data as { value: number }).value, e.metadata.auth]).sort()).toEqual([
      [91, { method: 'kafka-topic', topic: 'ledger.commands.v1.int-a' }],
      [92, { method: 'kafka-topic', topic: topics.commands }],
    ]);
  });

  it('never copies credential-like headers into a rejected record, nor reads them as a credential', async () => {
    const { bus, rejection } = await ledger({ principals: integrator('svc:int-a', '747') });
    await bus.publish('ledger.commands.v1.int-a', [
      record('748', 70, {
        authorization: 'Bearer ilk_0123456789abcdef.secret',
        'x-api-key': 'ilk_0123456789abcdef.secret',
        'x-note': 'Bearer abc.def',
        'correlation-id': 'cred-1',
      }),
    ]);
    const refused = await rejection(403);
    expect(refused.value.headers).toEqual({ 'correlation-id': 'cred-1' });
    expect(refused.headers).toEqual({ 'correlation-id': 'cred-1', 'rejection-status': '403' });
    expect(JSON.stringify(refused.value)).not.toMatch(/ilk_|Bearer/);
  });

  it('refuses an actor header (400), the shared topic when it acts as no one (401), and a topic two principals share (401)', async () => {
    const { bus, rejected, values } = await ledger({
      principals: [
        ...integrator('svc:int-a', '747'),
        ...integrator('svc:twin', '747'),
        ...integrator('user:twin', '747'),
      ],
    });
    await bus.publish('ledger.commands.v1.int-a', [record('747', 60, { actor: 'svc:owner' })]);
    await bus.publish(topics.commands, [record('747', 61)]);
    await bus.publish('ledger.commands.v1.twin', [record('747', 62)]);
    await until('three refusals', () => (rejected.length === 3 ? true : undefined));
    const byTopic = Object.fromEntries(rejected.map((r) => [kafkaSource(r.value).topic, r.value.problem]));
    expect(byTopic['ledger.commands.v1.int-a']).toMatchObject({ status: 400, errors: [{ path: 'actor' }] });
    expect(byTopic[topics.commands]).toMatchObject({ status: 401 });
    expect(byTopic['ledger.commands.v1.twin']).toMatchObject({
      status: 401,
      detail:
        'ledger.commands.v1.twin is the commands topic of svc:twin and user:twin alike: its records act as neither',
    });
    expect(await values()).toEqual([]);
  });

  it('with LEDGER_AUTH=off, acts as the development principal on every topic', async () => {
    const development: CommandActor = { id: 'svc:development', auth: { method: 'none' } };
    const { bus, values } = await ledger({
      principals: integrator('svc:int-a', '747'),
      shared: development,
      everyRecordAs: development,
    });
    await bus.publish('ledger.commands.v1.int-a', [record('748', 75)]);
    const [event] = await until('the record', async () =>
      (await values()).length ? await values() : undefined,
    );
    expect(event?.metadata).toMatchObject({ actor: 'svc:development', auth: { method: 'none' } });
  });

  it('logs a topic this service may not create once, looks for it again, and reads it once it exists', async () => {
    const inner = getInProcessBus();
    let exists = false;
    let looks = 0;
    const bus: Bus = {
      ...inner,
      // As on a broker with ACLs, before and after the admin created the topic.
      prepareTopics: async (names): Promise<PreparedTopics> => {
        looks += 1;
        return exists
          ? { ready: names, missing: [] }
          : { ready: [], missing: names.map((topic) => ({ topic, reason: 'not authorized to create' })) };
      },
    };
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const { consumer, values } = await ledger({ principals: integrator('svc:int-c', '747'), bus, logger });
    expect(consumer.topics()).toEqual([topics.commands]);
    await until('more looks', () => (looks >= 3 ? true : undefined));
    const warnings = lines.filter((l) => l.includes('could not be created here'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({
      level: 40,
      count: 1,
      missing: [
        { topic: 'ledger.commands.v1.int-c', principals: ['svc:int-c'], reason: 'not authorized to create' },
      ],
    });

    await inner.publish('ledger.commands.v1.int-c', [record('747', 93)]);
    exists = true;
    const [event] = await until('the record', async () =>
      (await values()).length ? await values() : undefined,
    );
    expect(event?.metadata).toMatchObject({ actor: 'svc:int-c' });
    expect(consumer.topics()).toEqual([topics.commands, 'ledger.commands.v1.int-c']);
  });
});
