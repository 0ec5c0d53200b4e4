import { createMerkleTree, eventLeafHashes, openCheckpoint } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from '../../services/all-in-one/test/seed.ts';
import { settled } from './consistency.ts';
import { SERVICES, type ServiceName, type Stack } from './stack.ts';
import {
  getJson,
  postJson,
  readLog,
  readTopic,
  removeStack,
  replayRanking,
  scoreAudit,
  startTestStack,
  waitUntil,
} from './support.ts';

/** Integrators, with SCRAM users of their own on the SASL broker of infra/kafka/broker.sh. */
const INT_A = 'svc:ledger-int-a';
const INT_B = 'svc:ledger-int-b';

// On the SASL/SCRAM broker with ACLs where LEDGER_E2E_SASL_* are set (CI), else on the shared one.
describe('the split deployment: three processes over a real Kafka broker', () => {
  let stack: Stack;
  beforeAll(async () => {
    // INT_A may submit for every unit, from before the services start.
    stack = await startTestStack('split', undefined, {
      sasl: true,
      principals: [{ id: INT_A, roles: ['integrator'] }],
    });
  }, 60_000);
  afterAll(async () => {
    await removeStack(stack);
  });

  it('takes writes over HTTP and Kafka, dead-letters bad commands, and serves what a full replay gives', async () => {
    // Given the reference data, written over HTTP to the ingestion service
    const seeded = await postJson(`${stack.url('ingestion')}/v1/batch`, SEED);
    expect(seeded.status).toBe(201);

    // When an integrator publishes commands on its own topic, one malformed and one refused among them
    await stack.publishAs(INT_A, [
      { key: '747', value: JSON.stringify(submission('747', 'on-time', 97.5)) },
      { key: '748', value: '{"type": "submission", "body": ' },
      { key: '999', value: JSON.stringify(submission('999', 'on-time', 90)) },
      {
        key: '748',
        value: JSON.stringify(submission('748', 'on-time', 99.1)),
        headers: { 'Idempotency-Key': 'br-2023' },
      },
      { key: '754', value: JSON.stringify(submission('754', 'on-time', 98.4)) },
      { key: '754', value: JSON.stringify(submission('754', 'satisfaction', 91)) },
    ]);
    // and more values arrive over HTTP
    const http = await postJson(`${stack.url('ingestion')}/v1/batch`, {
      commands: [submission('747', 'satisfaction', 88), submission('748', 'satisfaction', 86.5)],
    });
    expect(http.status).toBe(201);

    // Then the two bad records are on the dead-letter topic with their source and the reason
    const rejected = await readTopic(`${stack.namespace}ledger.commands.v1.rejected`, 2, 20_000, stack);
    const problems = rejected.map((r) => (r.value as { problem: { status: number } }).problem.status).sort();
    expect(problems).toEqual([400, 422]);
    for (const r of rejected) {
      const value = r.value as { source: { topic: string; offset: string }; record: unknown };
      expect(value.source.topic).toBe(`${stack.namespace}ledger.commands.v1.ledger-int-a`);
      expect(value.source.offset).toMatch(/^\d+$/);
      expect(r.headers['rejection-status']).toMatch(/^4\d\d$/);
    }
    // and the projection's refusals journal has them for the integrator, beside what HTTP refused it
    let journal: { via: string; status: number; request: { topic?: string } }[] = [];
    for (let i = 0; i < 100 && journal.length < 2; i++) {
      journal = (await getJson(`${stack.url('projection')}/v1/refusals?principalId=${INT_A}`)).body.refusals;
      if (journal.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(journal.map((r) => [r.via, r.status]).sort()).toEqual([
      ['kafka', 400],
      ['kafka', 422],
    ]);
    expect(journal[0]?.request.topic).toBe(`${stack.namespace}ledger.commands.v1.ledger-int-a`);

    // and the good ones flowed on: 6 values recorded, scored and projected
    const log = await settled(stack, 6);
    for (const e of log.filter((e) => e.type === 'ledger.value-submitted.v1' && e.metadata.actor === INT_A))
      expect(e.metadata.auth).toEqual({ method: 'kafka-topic', topic: 'ledger.commands.v1.ledger-int-a' });
    expect(
      log.filter((e) => e.type === 'ledger.value-submitted.v1' && e.metadata.actor === INT_A),
    ).toHaveLength(4);
    const served = await getJson(`${stack.url('projection')}/v1/rankings/cchc/2023`);
    expect(served.status).toBe(200);
    const replayed = replayRanking(log, 'cchc', '2023');
    expect(served.body.rows).toEqual(replayed.rows);
    expect(served.body.rows.map((r: { unitId: string }) => r.unitId)).toEqual(['754', '747', '748']);
    const audit = scoreAudit(log);
    expect(audit.recorded.length).toBeGreaterThan(0);
    expect(audit.recorded).toEqual(audit.expected);

    // The projection signs a checkpoint of the log, records it, and publishes it on Kafka.
    const signed = await postJson(`${stack.url('projection')}/v1/ops/log/checkpoint`, {});
    expect(signed.status).toBe(201);
    expect(signed.body.size).toBe(log.length);
    const key = (await fetch(`${stack.url('projection')}/v1/log/key`).then((r) => r.text())).trim();
    const published = await readTopic(`${stack.namespace}ledger.checkpoints.v1`, 1, 20_000, stack);
    const checkpoint = openCheckpoint(published.map((r) => (r.value as { note: string }).note).join(''), key);
    expect(checkpoint.size).toBe(log.length);
    expect(Buffer.from(checkpoint.root)).toEqual(Buffer.from(createMerkleTree(eventLeafHashes(log)).root()));
  }, 90_000);

  it('serves each service’s own OpenAPI document: the operations it serves, and the probes', async () => {
    const documents = await Promise.all(
      SERVICES.map(
        async (service: ServiceName) =>
          (
            (await (await fetch(`${stack.url(service)}/v1/openapi.json`)).json()) as {
              paths: Record<string, object>;
            }
          ).paths,
      ),
    );
    const [ingestion, scoring, projection] = documents.map((d) => Object.keys(d)) as [
      string[],
      string[],
      string[],
    ];
    // The projection reads a principal's submissions; only ingestion takes them.
    expect(Object.keys(documents[2]?.['/v1/submissions'] ?? {})).toEqual(['get']);
    expect(Object.keys(documents[0]?.['/v1/submissions'] ?? {})).toEqual(['post']);
    expect(ingestion).toEqual(
      expect.arrayContaining(['/v1/submissions', '/v1/batch', '/readyz', '/healthz']),
    );
    expect(ingestion).not.toContain('/v1/rankings/{methodologyId}/{period}');
    expect(projection).toEqual(
      expect.arrayContaining(['/v1/rankings/{methodologyId}/{period}', '/v1/log/keys', '/readyz']),
    );
    expect(projection).not.toContain('/v1/batch');
    expect(scoring).toEqual(expect.arrayContaining(['/readyz', '/healthz', '/v1/ops/projections']));
    expect(scoring).not.toContain('/v1/submissions');
  });

  it('reads the topic of an integrator registered later, as that principal, held to its grants', async () => {
    // Given an integrator registered over HTTP while ingestion runs, for one unit only
    const registered = await postJson(`${stack.url('ingestion')}/v1/batch`, {
      commands: [
        { type: 'principal', body: { id: INT_B, name: 'Integrator B' } },
        { type: 'grant', body: { principalId: INT_B, role: 'integrator', unitId: '747' } },
      ],
    });
    expect(registered.status).toBe(201);
    if (stack.sasl)
      // With ACLs ingestion may not create its topic: it says so, and looks again.
      await waitUntil('ingestion to find the topic missing', async () =>
        stack.output('ingestion').includes('could not be created here') ? true : undefined,
      );
    // and its topic made (and its Kafka user let write it) by the admin, on a broker with ACLs;
    // without ACLs ingestion creates it
    await stack.admit(INT_B);
    await waitUntil('ingestion to read the new topic', async () =>
      stack
        .output('ingestion')
        .split('\n')
        .some(
          (line) =>
            line.includes('principals registered since') && line.includes('ledger.commands.v1.ledger-int-b'),
        )
        ? true
        : undefined,
    );

    // When it publishes for its unit, for another, and with credential-like headers
    await stack.publishAs(INT_B, [
      { key: '747', value: JSON.stringify(submission('747', 'on-time', 96, '2024')) },
      { key: '748', value: JSON.stringify(submission('748', 'on-time', 95, '2024')) },
      {
        key: '748',
        value: JSON.stringify(submission('748', 'satisfaction', 90, '2024')),
        headers: {
          authorization: 'Bearer ilk_0123456789abcdef.not-a-key',
          'x-api-key': 'ilk_x',
          'correlation-id': 'b-3',
        },
      },
    ]);

    // Then its submission for its unit is recorded as it, authenticated by the topic
    const log = await waitUntil('its submission to be recorded', async () => {
      const found = (await readLog(stack.storePath)).filter((e) => e.metadata.actor === INT_B);
      return found.some((e) => e.type === 'ledger.value-submitted.v1') ? found : undefined;
    });
    const values = log.filter((e) => e.type === 'ledger.value-submitted.v1');
    expect(values.map((e) => (e.data as { unitId: string }).unitId)).toEqual(['747']);
    expect(values[0]?.metadata.auth).toEqual({
      method: 'kafka-topic',
      topic: 'ledger.commands.v1.ledger-int-b',
    });
    // and the two for another unit are refused (403), without the credential-like headers
    const refused = (
      await readTopic(`${stack.namespace}ledger.commands.v1.rejected`, 4, 20_000, stack)
    ).filter((r) => (r.value as { source: { topic: string } }).source.topic.endsWith('ledger-int-b'));
    expect(refused.map((r) => (r.value as { problem: { status: number } }).problem.status)).toEqual([
      403, 403,
    ]);
    const withHeaders = refused.find((r) => r.headers['correlation-id'] === 'b-3');
    expect(withHeaders?.headers).toEqual({ 'correlation-id': 'b-3', 'rejection-status': '403' });
    expect(withHeaders?.value).toMatchObject({ headers: { 'correlation-id': 'b-3' } });
    expect(Object.keys((withHeaders?.value as { headers?: object } | undefined)?.headers ?? {})).toEqual([
      'correlation-id',
    ]);
    expect(JSON.stringify(refused)).not.toMatch(/ilk_|Bearer/);

    // and, with ACLs, it cannot write another integrator's topic at all
    if (stack.sasl) {
      const producer = stack.kafka('ledger-int-b').producer();
      await producer.connect();
      try {
        await expect(
          producer.send({
            topic: `${stack.namespace}ledger.commands.v1.ledger-int-a`,
            acks: -1,
            messages: [{ key: '748', value: JSON.stringify(submission('748', 'on-time', 1, '2025')) }],
          }),
        ).rejects.toThrow(/authoriz/i);
      } finally {
        await producer.disconnect();
      }
    }
    await settled(stack, 7);
  }, 90_000);
});
