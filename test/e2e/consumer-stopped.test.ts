import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../../services/all-in-one/test/seed.ts';
import type { Stack } from './stack.ts';
import { getJson, kafkaClient, postJson, removeStack, startTestStack, waitUntil } from './support.ts';

describe('a record on the events topic that is no event of the log', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack('stopped');
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
  }, 150_000);
  afterAll(async () => {
    await removeStack(stack);
  }, 90_000);

  it('scoring exits 1, saying why, for its supervisor to restart it; the projection refuses the record; ingestion stays up', async () => {
    await waitUntil('scoring live', async () => {
      const ops = await getJson(`${stack.url('scoring')}/v1/ops/projections`);
      return ops.body.projections[0].status === 'live' ? true : undefined;
    });
    // Given a record on the events topic that is no event of the log (a foreign producer)
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({
      topic: `${stack.namespace}ledger.events.v1`,
      acks: -1,
      messages: [
        {
          key: 'value:2023:747:on-time',
          value: JSON.stringify({
            position: 1e9,
            eventId: 'forged',
            // A type scoring would pass over: before the check, its position became scoring's checkpoint.
            type: 'x.forged.v1',
            data: {},
          }),
        },
      ],
    });
    await producer.disconnect();

    // Then scoring, which must not take its position for a checkpoint, stops and exits 1 with the reason in its log
    expect(await stack.exited('scoring')).toBe(1);
    const fatal = stack
      .output('scoring')
      .split('\n')
      .filter((line) => line.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0] as string)).toMatchObject({
      msg: 'a consumer stopped for good; exiting, to be restarted',
      topic: `${stack.namespace}ledger.events.v1`,
      groupId: `${stack.namespace}scoring`,
      err: {
        message: expect.stringMatching(/^a record on the events topic is not in the log \(event forged/),
      },
    });
    // and the projection neither applies it nor waits for the log to reach it: it says why it stopped
    const projection = await waitUntil('the projection to refuse the record', async () => {
      const ops = await getJson(`${stack.url('projection')}/v1/ops/projections`);
      return ops.body.projections[0].status === 'failed' ? ops.body.projections[0] : undefined;
    });
    expect(projection.error.message).toMatch(
      /^a record on the events topic is not in the log \(event forged, position 1000000000, head \d+\)$/,
    );
    expect((await fetch(`${stack.url('projection')}/readyz`)).status).toBe(503);
    // while ingestion, which does not consume that topic, still takes writes
    expect((await getJson(`${stack.url('ingestion')}/healthz`)).status).toBe(200);
  }, 60_000);
});
