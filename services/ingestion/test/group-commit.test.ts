import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger, toProblem } from '@ledger/http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestHash } from '../src/idempotency.ts';
import { createIngestion, type Ingestion, type WriteRequest } from '../src/ingest.ts';

const logger = createLogger('ingestion-test', 'silent');
const UNITS = Array.from({ length: 20 }, (_, i) => `u${i}`);

const write = (type: string, body: Record<string, unknown>, idempotencyKey?: string): WriteRequest => ({
  commands: [{ type, body }],
  pathOf: () => '',
  requestHash: requestHash(type, body),
  actor: 'svc:test',
  auth: { method: 'none' },
  correlationId: 'c',
  causationId: null,
  submissionAddressedBy: 'path',
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

const submission = (unitId: string, value = 90) =>
  write('submission', { unitId, indicator: 'on-time', period: '2024-01', value });

/** The real store, counting the appends made through it. */
function counting(store: EventStore) {
  const counter = { appends: 0 };
  const wrapped: EventStore = {
    ...store,
    append: (requests, options) => {
      counter.appends++;
      return store.append(requests, options);
    },
  };
  return { store: wrapped, counter };
}

const statusOf = (outcome: PromiseSettledResult<unknown>) =>
  outcome.status === 'fulfilled' ? 201 : toProblem(outcome.reason).status;

describe('group commit: concurrent writes share one durable append', () => {
  let dir: string;
  let store: EventStore;

  /** The indicator and the units every test writes for, recorded at the clock (which seals the ledger) or imported. */
  const setUp = async (target: EventStore, recordedAt?: string) => {
    const setup = createIngestion({ store: target, logger });
    await setup.start();
    await setup.execute({
      ...write('indicator', {}),
      commands: [
        {
          type: 'indicator',
          body: {
            code: 'on-time',
            name: 'Hồ sơ đúng hạn',
            measure: 'percent',
            direction: 'higher-is-better',
          },
        },
        ...UNITS.map((id) => ({
          type: 'unit',
          body: { id, validFrom: '2000-01-01', name: `Xã ${id}`, level: 'commune' },
        })),
      ],
      pathOf: (i) => `commands.${i}.body`,
      submissionAddressedBy: 'body',
      ...(recordedAt ? { recordedAt } : {}),
    });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    await setUp(store);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fresh = async (target: EventStore = store): Promise<Ingestion> => {
    const ingestion = createIngestion({ store: target, logger });
    await ingestion.start();
    return ingestion;
  };

  it('records every concurrent write, each answered with its own event, in far fewer appends', async () => {
    const { store: spied, counter } = counting(store);
    const ingestion = await fresh(spied);
    const before = (await store.head()).position;

    const outcomes = await Promise.all(UNITS.map((unitId) => ingestion.execute(submission(unitId))));

    expect(counter.appends).toBeLessThanOrEqual(2);
    const results = outcomes.map((o) => o.results[0]);
    expect(new Set(results.map((r) => r?.position)).size).toBe(UNITS.length);
    expect((await store.head()).position).toBe(before + UNITS.length);
    for (const [i, unitId] of UNITS.entries()) {
      const [event] = await store.readStream(results[i]?.streamId as string);
      expect(event?.eventId).toBe(results[i]?.eventId);
      expect(event?.data).toMatchObject({ unitId });
    }
  });

  it('refuses only the write that is wrong; the others in its group are recorded', async () => {
    const ingestion = await fresh();
    const before = (await store.head()).position;

    const outcomes = await Promise.allSettled([
      ingestion.execute(submission('u1')),
      ingestion.execute(submission('u1', 50)), // the same cell again: 409
      ingestion.execute(submission('nowhere')), // an unknown unit: 422
      ingestion.execute(submission('u2')),
    ]);

    expect(outcomes.map(statusOf)).toEqual([201, 409, 422, 201]);
    expect((await store.head()).position).toBe(before + 2);
    const values = (await store.readAll({ after: before })).map(
      (e) => e.data as { unitId: string; value: number },
    );
    expect(values.map((d) => [d.unitId, d.value])).toEqual([
      ['u1', 90],
      ['u2', 90],
    ]);
  });

  it('answers two concurrent writes under one Idempotency-Key with one recorded event', async () => {
    const ingestion = await fresh();
    const before = (await store.head()).position;

    const [first, second] = await Promise.all([
      ingestion.execute({ ...submission('u3'), idempotencyKey: 'k-1' }),
      ingestion.execute({ ...submission('u3'), idempotencyKey: 'k-1' }),
    ]);

    expect(first?.replayed).toBe(false);
    expect(second?.replayed).toBe(true);
    expect(second?.results).toEqual(first?.results);
    expect((await store.head()).position).toBeGreaterThan(before);
    const values = (await store.readAll({ after: before })).filter(
      (e) => e.type === 'ledger.value-submitted.v1',
    );
    expect(values).toHaveLength(1);
  });

  it('records each import that sets recordedAt in an append of its own, at its time; the writes at the clock after them share theirs, and seal the ledger', async () => {
    // A clock one millisecond further at each append, so that each import's time is "now" when it is recorded.
    const start = Date.now() + 60_000;
    let appends = 0;
    // A ledger of its own, open for import: its reference data is imported too.
    const path = join(dir, 'open.sqlite');
    const clocked = getSQLiteEventStore({ path, now: () => start + appends++ });
    await setUp(clocked, new Date(start - 1).toISOString());
    appends = 0;
    const { store: spied, counter } = counting(clocked);
    const ingestion = await fresh(spied);
    const before = (await clocked.head()).position;
    const at = (ms: number) => new Date(start + ms).toISOString();

    const outcomes = await Promise.all([
      ingestion.execute({ ...submission('u5'), recordedAt: at(0) }),
      ingestion.execute({ ...submission('u6'), recordedAt: at(1) }),
      ...UNITS.slice(7, 12).map((unitId) => ingestion.execute(submission(unitId))),
    ]);
    const after = (await clocked.head()).position;
    await clocked.close();

    // The first import, the second import, five writes at the clock: three appends.
    expect(counter.appends).toBe(3);
    expect(outcomes.map((o) => o.results[0]?.recordedAt)).toEqual([at(0), at(1), ...Array(5).fill(at(2))]);
    // The first write at the clock sealed the ledger, in the same append: one more event.
    expect(outcomes.filter((o) => o.seal).map((o) => o.seal?.recordedAt)).toEqual([at(2)]);
    expect(after).toBe(before + 8);
  });

  it('when another writer gets in first, redoes each write alone: only the conflicting one is refused', async () => {
    const otherStore = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const other = await fresh(otherStore);
    let interfered = false;
    const interfering: EventStore = {
      ...store,
      append: async (requests, options) => {
        if (!interfered) {
          interfered = true; // another process records u5's value between our decision and our append
          await other.execute(submission('u5', 10));
        }
        return store.append(requests, options);
      },
    };
    const ingestion = await fresh(interfering);
    const before = (await store.head()).position;

    const outcomes = await Promise.allSettled(
      ['u4', 'u5', 'u6'].map((unitId) => ingestion.execute(submission(unitId))),
    );
    await otherStore.close();

    expect(outcomes.map(statusOf)).toEqual([201, 409, 201]);
    const recorded = (await store.readAll({ after: before })).map(
      (e) => e.data as { unitId: string; value: number },
    );
    expect(recorded.map((d) => [d.unitId, d.value])).toEqual([
      ['u5', 10],
      ['u4', 90],
      ['u6', 90],
    ]);
  });
});
