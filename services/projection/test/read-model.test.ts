import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { createLedgerIndex, foldRecorded, type LedgerIndex, viewAt } from '@ledger/domain';
import { readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion, startRelay } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjection, type Projection } from '../src/projection.ts';

const logger = createLogger('projection-test', 'silent');
const CELLS = [
  ['747', 'on-time', '2023'],
  ['747', 'on-time', '2024'],
] as const;

/** Every value and the details behind it, at every position of the log. */
function valuesAtEveryPosition(index: LedgerIndex) {
  return Array.from({ length: index.positions.length }, (_, i) => {
    const position = index.positions.at(i) as number;
    const view = viewAt(index, position);
    return CELLS.map(([unit, indicator, period]) => {
      const value = view.value(unit, indicator, period);
      return value && { ...value, details: view.valueDetails(value) };
    });
  });
}

describe('the read model keeps value details in its file, not in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-model-'));
  const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
  const ingestion = createIngestion({ store, logger });
  const path = join(dir, 'projection.sqlite');
  const open = async () => {
    const projection = createProjection({ store, bus: getInProcessBus(), logger, path });
    await projection.start();
    return projection;
  };
  const foldInMemory = async () => {
    const index = createLedgerIndex();
    for await (const page of readPages(store, 0, 100)) for (const e of page) foldRecorded(index, e);
    return index;
  };
  const correct = async (submissionId: string, value: number, reason: string) =>
    ingestion.execute(write([{ type: 'correction', body: { submissionId, value, reason } }]));
  let first: string;
  let projection: Projection;

  beforeAll(async () => {
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));
    first = (await ingestion.execute(write([submission(80)]))).results[0]?.submissionId as string;
    await correct(first, 90, 'nhập nhầm');
    const retracted = (await ingestion.execute(write([submission(70, '2024')]))).results[0]?.submissionId;
    await ingestion.execute(
      write([{ type: 'retraction', body: { submissionId: retracted, reason: 'sai kỳ' } }]),
    );
    await ingestion.execute(write([submission(75, '2024')]));
    projection = await open();
  });

  afterAll(async () => {
    await projection.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every position exactly as a fold of the log in memory does', async () => {
    const expected = valuesAtEveryPosition(await foldInMemory());
    expect(expected.at(-1)?.map((v) => v?.value)).toEqual([90, 75]);
    expect(expected.at(-1)?.[0]?.details.corrections.map((c) => c.reason)).toEqual(['nhập nhầm']);
    expect(valuesAtEveryPosition(projection.index)).toEqual(expected);
  });

  it('after a restart, reads the details back from the file, and folds a correction of a value it loaded', async () => {
    await projection.stop();
    projection = await open();
    expect(valuesAtEveryPosition(projection.index)).toEqual(valuesAtEveryPosition(await foldInMemory()));

    await correct(first, 95, 'kiểm tra lại');
    await projection.stop();
    projection = await open();
    const now = viewAt(projection.index);
    const value = now.value('747', 'on-time', '2023');
    expect(value?.value).toBe(95);
    expect(value && now.valueDetails(value).corrections.map((c) => [c.value, c.reason])).toEqual([
      [90, 'nhập nhầm'],
      [95, 'kiểm tra lại'],
    ]);
    expect(valuesAtEveryPosition(projection.index)).toEqual(valuesAtEveryPosition(await foldInMemory()));
  });

  it('after a rebuild, reads details and leaves from the file it swapped in, and goes on applying', async () => {
    const bus = getInProcessBus();
    const relay = await startRelay({ store, bus, logger, after: (await store.head()).position });
    const rebuilt = createProjection({ store, bus, logger, path: join(dir, 'rebuilt.sqlite') });
    await rebuilt.start();
    await rebuilt.rebuild();
    for (let i = 0; i < 200 && rebuilt.state().rebuild?.status === 'running'; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(rebuilt.state().rebuild?.status).toBe('done');

    // More than a block of 64 leaves after the swap: the tree reads the lower levels back.
    for (let year = 2030; year < 2100; year++)
      await ingestion.execute(write([submission(60 + (year % 30), `${year}`)]));
    const head = (await store.head()).position;
    expect(await rebuilt.waitFor(head, 5_000)).toBe(true);
    expect(rebuilt.state().status).toBe('live');
    expect(valuesAtEveryPosition(rebuilt.index)).toEqual(valuesAtEveryPosition(await foldInMemory()));
    const fresh = createProjection({
      store,
      bus: getInProcessBus(),
      logger,
      path: join(dir, 'fresh.sqlite'),
    });
    await fresh.start();
    for (const leaf of [0, 3, 70, head - 1])
      expect(rebuilt.tree.inclusionProof(leaf)).toEqual(fresh.tree.inclusionProof(leaf));
    expect(rebuilt.tree.root()).toEqual(fresh.tree.root());
    await fresh.stop();
    await rebuilt.stop();
    await relay.close();
  });
});
