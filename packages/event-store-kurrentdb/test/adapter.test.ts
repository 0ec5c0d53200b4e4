import type { RecordedEvent } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { newEvent, newEvents, request, settle, waitFor } from '@ledger/event-store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { getKurrentDBEventStore, type LedgerClient } from '../src/index.ts';
import { FakeKurrentDB } from './fake-kurrentdb.ts';

/**
 * What the contract suite cannot show with one writer, checked over FakeKurrentDB (an in-memory
 * stand-in for the server, see fake-kurrentdb.ts): several writers with skewed clocks, `$all` laying
 * an append out in another order than the call's, foreign and system events, a missing event, and a
 * dropped connection under a subscription.
 */

const opened: EventStore[] = [];
const open = (client: LedgerClient, now?: () => number): EventStore => {
  const store = getKurrentDBEventStore({
    client,
    namespace: 'ns.',
    pollIntervalMs: 50,
    ...(now ? { now } : {}),
  });
  opened.push(store);
  return store;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function expectLedgerOrder(log: readonly RecordedEvent[]): void {
  expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
  const stamps = log.map((e) => Date.parse(e.recordedAt));
  expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
}

describe('several writers', () => {
  it('keep recordedAt monotone along the log and positions dense, whatever their clocks say', async () => {
    const fake = new FakeKurrentDB();
    const base = Date.now();
    let ahead = base + 3_600_000;
    const ingestion = open(fake.client(), () => ahead++);
    const scoring = open(fake.client(), () => base); // an hour behind, and stopped
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      appends.push(ingestion.append([request(`value:${i}`, 'no_stream', newEvents(1 + (i % 3)))]));
      appends.push(scoring.append([request(`score:${i}`, 'any', newEvents(2))]));
      appends.push(
        scoring.append([request('checkpoint:scoring', 'any', [newEvent()])], {
          derivedFrom: new Date(base).toISOString(),
        }),
      );
    }
    const results = await Promise.all(appends);
    expect(results).toHaveLength(60);
    const log = await ingestion.readAll();
    const ingested = Array.from({ length: 20 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    expect(log).toHaveLength(ingested + 40 + 20);
    expectLedgerOrder(log);
    expect(await scoring.readAll()).toEqual(log);
    expect(await scoring.head()).toEqual({ position: log.length, recordedAt: log.at(-1)?.recordedAt });
    // One recordedAt per append, and the scoring writer's clock never pulled time back.
    for (const stream of ['score:3', 'value:4']) {
      const events = await scoring.readStream(stream);
      expect(new Set(events.map((e) => e.recordedAt)).size).toBe(1);
    }
    expect(Date.parse(log.at(-1)?.recordedAt ?? '')).toBeGreaterThan(base + 3_600_000);
  });
});

describe('$all layout', () => {
  it('hands out an append in call order even when the server lays it out stream by stream', async () => {
    const fake = new FakeKurrentDB();
    const store = open(fake.client());
    for (let round = 0; round < 10; round++) {
      const [a1, b1, a2, c1, b2] = newEvents(5);
      const call = [
        request(`a${round}`, 'no_stream', [a1 as never]),
        request(`b${round}`, 'no_stream', [b1 as never]),
        request(`a${round}`, 0, [a2 as never]),
        request(`c${round}`, 'any', [c1 as never]),
        request(`b${round}`, 'exists', [b2 as never]),
      ];
      const result = await store.append(call);
      expect(result.events.map((e) => e.revision)).toEqual([0, 0, 1, 0, 1]);
      const log = await store.readAll({
        after: result.events[0]?.position ? result.events[0].position - 1 : 0,
      });
      expect(log.map((e) => e.eventId)).toEqual(call.flatMap((r) => r.events.map((e) => e.eventId)));
    }
    expectLedgerOrder(await store.readAll());
  });

  it('reads from any position without the in-memory index, through the clock stream', async () => {
    const fake = new FakeKurrentDB();
    const writer = open(fake.client());
    for (let i = 0; i < 40; i++) await writer.append([request(`s${i % 7}`, 'any', newEvents(1 + (i % 4)))]);
    const log = await writer.readAll();
    for (const after of [0, 1, 2, 17, 33, 60, log.length - 1, log.length, log.length + 5]) {
      const fresh = open(fake.client());
      const before = fake.calls.readAll;
      expect(await fresh.readAll({ after, limit: 5 })).toEqual(
        log.filter((e) => e.position > after).slice(0, 5),
      );
      expect(fake.calls.readAll - before).toBeLessThanOrEqual(1);
    }
    const reader = open(fake.client());
    let after = 0;
    const paged: RecordedEvent[] = [];
    for (
      let page = await reader.readAll({ after, limit: 3 });
      page.length > 0;
      page = await reader.readAll({ after, limit: 3 })
    ) {
      paged.push(...page);
      after = page.at(-1)?.position ?? after;
    }
    expect(paged).toEqual(log);
  });

  it('ignores system events and events written by others, and fails loudly on a missing ledger event', async () => {
    const fake = new FakeKurrentDB();
    const store = open(fake.client());
    await store.append([request('unit:1', 'no_stream', newEvents(2))]);
    fake.appendForeign('orders-1', 'OrderPlaced', { id: 1 });
    fake.appendForeign('$stats-node', '$statsCollected', {});
    fake.appendForeign('ns.other', 'Foreign', { id: 2 }, { note: 'not the ledger' });
    await store.append([request('unit:1', 1, newEvents(2))]);
    const log = await store.readAll();
    expect(log.map((e) => e.streamId)).toEqual(['unit:1', 'unit:1', 'unit:1', 'unit:1']);
    expectLedgerOrder(log);
    await expect(store.readStream('other')).rejects.toThrow(/not written by the ledger/);

    fake.scavenge((e) => e.id === log[1]?.eventId);
    await expect(store.readAll()).rejects.toThrow(/ledger position 2 is missing/);
  });
});

describe('idempotency', () => {
  it('a call whose response was lost is answered from its markers when retried', async () => {
    const fake = new FakeKurrentDB();
    const real = fake.client();
    let loseNext = true;
    const flaky: LedgerClient = {
      ...real,
      multiStreamAppend: async (requests) => {
        const result = await real.multiStreamAppend(requests);
        if (loseNext) {
          loseNext = false;
          throw Object.assign(new Error('connection reset'), { type: 'unavailable' });
        }
        return result;
      },
    };
    const store = open(flaky);
    const call = [
      request('value:1', 'no_stream', newEvents(2)),
      request('idempotency:k', 'no_stream', [newEvent()]),
    ];
    await expect(store.append(call)).rejects.toThrow(/connection reset/);
    const retried = await store.append(call);
    expect(retried.alreadyRecorded).toBe(true);
    expect(retried.events.map((e) => [e.streamId, e.revision, e.position])).toEqual([
      ['value:1', 0, 1],
      ['value:1', 1, 2],
      ['idempotency:k', 0, 3],
    ]);
    expect(await store.readAll()).toHaveLength(3);
  });

  it('explains a server without multi-stream appends', async () => {
    const fake = new FakeKurrentDB();
    const old: LedgerClient = {
      ...fake.client(),
      multiStreamAppend: async () => {
        throw Object.assign(new Error('12 UNIMPLEMENTED'), { code: 12 });
      },
    };
    await expect(open(old).append([request('unit:1', 'any', [newEvent()])])).rejects.toThrow(
      /KurrentDB 25\.1/,
    );
  });
});

describe('subscriptions', () => {
  it('survive a dropped connection: resume from the last delivered position, nothing lost or repeated', async () => {
    const fake = new FakeKurrentDB();
    const writer = open(fake.client());
    const reader = open(fake.client());
    await writer.append([request('unit:1', 'no_stream', newEvents(3))]);
    const delivered: RecordedEvent[] = [];
    const errors: unknown[] = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const subscription = reader.subscribe({
      after: 1,
      batchSize: 2,
      onEvents: (batch) => {
        delivered.push(...batch);
      },
      onError: (error) => errors.push(error),
    });
    try {
      await waitFor(() => delivered.length === 2, 5_000, 'the catch-up');
      await waitFor(() => fake.liveSubscriptions > 0, 5_000, 'the live subscription');

      fake.dropLiveSubscriptions();
      fake.failReads = 4;
      await writer.append([request('unit:1', 2, newEvents(3))]);
      await waitFor(() => delivered.length === 5, 10_000, 'the events appended during the outage');
      await waitFor(() => fake.liveSubscriptions > 0, 5_000, 'the live subscription to come back');

      // Live again: a new append is delivered through the restored live subscription.
      await writer.append([request('unit:2', 'no_stream', [newEvent()])]);
      await waitFor(() => delivered.length === 6, 5_000, 'the next live event');
      await settle(200);
      expect(delivered.map((e) => e.position)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(errors).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await subscription.close();
    }
  });

  it('stops with onError on a failure that is not a dropped connection', async () => {
    const fake = new FakeKurrentDB();
    const store = open(fake.client());
    await store.append([request('unit:1', 'no_stream', newEvents(2))]);
    const errors: unknown[] = [];
    fake.scavenge(() => false);
    const log = await store.readAll();
    fake.scavenge((e) => e.id === log[0]?.eventId);
    const subscription = store.subscribe({
      after: 0,
      onEvents: () => undefined,
      onError: (e) => errors.push(e),
    });
    await waitFor(() => errors.length === 1, 5_000, 'onError');
    expect(String(errors[0])).toMatch(/missing/);
    await subscription.close();
  });
});
