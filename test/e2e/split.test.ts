import { createMerkleTree, eventLeafHashes, openCheckpoint } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from '../../services/all-in-one/test/seed.ts';
import { settled } from './consistency.ts';
import type { Stack } from './stack.ts';
import {
  getJson,
  postJson,
  publishCommands,
  readTopic,
  removeStack,
  replayRanking,
  scoreAudit,
  startTestStack,
} from './support.ts';

describe('the split deployment: three processes over a real Kafka broker', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack('split');
  }, 60_000);
  afterAll(async () => {
    await removeStack(stack);
  });

  it('takes writes over HTTP and Kafka, dead-letters bad commands, and serves what a full replay gives', async () => {
    // Given the reference data, written over HTTP to the ingestion service
    const seeded = await postJson(`${stack.url('ingestion')}/v1/batch`, SEED);
    expect(seeded.status).toBe(201);

    // When an integrator publishes commands, one malformed and one refused among them
    await publishCommands(stack.namespace, [
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
    const rejected = await readTopic(`${stack.namespace}ledger.commands.v1.rejected`, 2);
    const problems = rejected.map((r) => (r.value as { problem: { status: number } }).problem.status).sort();
    expect(problems).toEqual([400, 422]);
    for (const r of rejected) {
      const value = r.value as { source: { topic: string; offset: string }; record: unknown };
      expect(value.source.topic).toBe(`${stack.namespace}ledger.commands.v1`);
      expect(value.source.offset).toMatch(/^\d+$/);
      expect(r.headers['rejection-status']).toMatch(/^4\d\d$/);
    }

    // and the good ones flowed on: 6 values recorded, scored and projected
    const log = await settled(stack, 6);
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
    const published = await readTopic(`${stack.namespace}ledger.checkpoints.v1`, 1);
    const checkpoint = openCheckpoint(published.map((r) => (r.value as { note: string }).note).join(''), key);
    expect(checkpoint.size).toBe(log.length);
    expect(Buffer.from(checkpoint.root)).toEqual(Buffer.from(createMerkleTree(eventLeafHashes(log)).root()));
  }, 90_000);
});
