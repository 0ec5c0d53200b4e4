import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestion } from '../src/ingest.ts';
import { REFERENCE, submission, write } from '../src/testing.ts';

const logger = createLogger('write-model-test', 'silent');
const unit = (id: string) => ({
  type: 'unit',
  body: { id, validFrom: '2000-01-01', name: `Xã ${id}`, level: 'district', parentId: '77' },
});

describe('the write model after another writer appended just before this process', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Two writers on one file, as ingestion and the all-in-one's scoring thread are. `before` makes
   * the other writer append right before each of this process's appends, after it has decided:
   * the race that leaves a gap between what the model has read and what it has just appended.
   */
  const twoWriters = () => {
    const dir = mkdtempSync(join(tmpdir(), 'write-model-'));
    dirs.push(dir);
    const other = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const otherIngestion = createIngestion({ store: other, logger });
    const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const read: number[] = [];
    const race = { before: async () => {} };
    const watched: EventStore = {
      ...store,
      readAll: async (options) => {
        const events = await store.readAll(options);
        read.push(...events.map((e) => e.position));
        return events;
      },
      append: async (requests, options) => {
        await race.before();
        return store.append(requests, options);
      },
    };
    const ingestion = createIngestion({ store: watched, logger });
    return {
      ingestion,
      otherIngestion,
      read,
      race,
      close: () => Promise.all([store.close(), other.close()]),
    };
  };

  it('reads only what the other writer appended, and decides on both', async () => {
    const { ingestion, otherIngestion, read, race, close } = twoWriters();
    await otherIngestion.start();
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));

    const others: number[] = [];
    let n = 0;
    race.before = async () => {
      const result = await otherIngestion.execute(write([unit(`75${n++}`)]));
      others.push(...result.results.map((r) => r.position));
    };
    read.length = 0;
    const ours = await Promise.all([
      ingestion.execute(write([submission(80)])),
      ingestion.execute(write([submission(81, '2024')])),
    ]);
    const alone = await ingestion.execute(write([submission(82, '2025')]));
    race.before = async () => {};

    // Only the other writer's events were read back: none of this process's own.
    const own = [...ours, alone].flatMap((o) => o.results.map((r) => r.position));
    expect(others).toHaveLength(2);
    expect(read.filter((p) => own.includes(p))).toEqual([]);
    expect(read).toEqual(others);

    // The model holds both writers' events: a correction of this process's submission is decided
    // against it, and so is a submission for the unit the other writer registered.
    const submissionId = ours[0]?.results[0]?.submissionId as string;
    const corrected = await ingestion.execute(
      write([{ type: 'correction', body: { submissionId, value: 85, reason: 'nhập nhầm' } }]),
    );
    expect(corrected.results[0]?.type).toBe('ledger.value-corrected.v1');
    const elsewhere = await ingestion.execute(
      write([
        { type: 'submission', body: { unitId: '750', indicator: 'on-time', period: '2023', value: 70 } },
      ]),
    );
    expect(elsewhere.results[0]?.revision).toBe(0);
    // Nothing was folded twice: a second submission for the same cell is refused as a duplicate.
    await expect(ingestion.execute(write([submission(80)]))).rejects.toThrow();
    await close();
  });
});
