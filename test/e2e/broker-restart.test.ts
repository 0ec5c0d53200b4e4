import { type PrivateBroker, startPrivateBroker } from '@ledger/bus-kafka/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../../services/all-in-one/test/seed.ts';
import { expectConsistent, UNITS, valuesFor } from './consistency.ts';
import type { Stack } from './stack.ts';
import { postJson, publishCommands, removeStack, startTestStack } from './support.ts';

const asRecords = (period: string, base: number) =>
  (valuesFor(period, base).commands as { type: string; body: { unitId: string } }[]).map((c) => ({
    key: c.body.unitId,
    value: JSON.stringify(c),
  }));

// Its own Kafka broker: restarting the shared one would disturb the other test files running meanwhile.
describe('a Kafka broker restart in the middle of the stream', () => {
  let broker: PrivateBroker;
  let stack: Stack;
  beforeAll(async () => {
    broker = await startPrivateBroker('e2e-restart');
    stack = await startTestStack('restart', broker.brokers.join(','));
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
  }, 90_000);
  afterAll(async () => {
    await removeStack(stack);
    await broker?.stop();
  });

  it('loses nothing and records every command once, whether published before, during or after it', async () => {
    await publishCommands(stack.namespace, asRecords('2026-01', 95), broker.brokers.join(','));
    const stopping = broker.stop();
    // Written while the broker is down: recorded in the store, relayed once the broker is back.
    const during = await postJson(`${stack.url('ingestion')}/v1/batch`, valuesFor('2026-02', 93));
    expect(during.status).toBe(201);
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await broker.start();
    await publishCommands(stack.namespace, asRecords('2026-03', 94), broker.brokers.join(','));
    await expectConsistent(stack, ['2023', '2026-01', '2026-02', '2026-03'], UNITS.length * 2 * 3);
  }, 150_000);
});
