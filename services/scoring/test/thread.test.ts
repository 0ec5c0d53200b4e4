import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion, startRelay } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedScoreEvents, SCORE_COMPUTED } from '../src/scorer.ts';
import { createScoringThread } from '../src/thread.ts';

const logger = createLogger('scoring-thread-test', 'silent');

const until = async (what: string, ready: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 400; i++) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('scoring on a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scoring-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records what a clean run over the log gives, wakes the caller when it has, and stops', async () => {
    const path = join(dir, 'ledger.sqlite');
    const store = getSQLiteEventStore({ path });
    const bus = getInProcessBus();
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    // Written before scoring starts: it catches up on these from the store.
    await ingestion.execute(write([...REFERENCE, submission(80)]));
    const relay = await startRelay({ store, bus, logger, after: 0 });
    let wakes = 0;
    const scoring = createScoringThread({ storePath: path, bus, logger, onAppended: () => wakes++ });
    await scoring.start();
    expect(scoring.state().status).toBe('live');

    // Written while it is live: it gets these from the bus.
    await ingestion.execute(write([submission(96, '2024')]));
    await ingestion.execute(write([submission(70, '2025')]));
    const scored = async () => scoring.state().checkpoint === (await store.head()).position;
    await until('scoring to reach the head', scored);

    const log = await store.readAll();
    const recorded = log
      .filter((e) => e.type === SCORE_COMPUTED)
      .map((e) => ({ streamId: e.streamId, data: e.data }));
    expect(recorded).toHaveLength(3);
    expect(recorded).toEqual(expectedScoreEvents(log));
    expect(scoring.state().scoresRecorded).toBe(3);
    expect(wakes).toBeGreaterThan(0);

    await scoring.stop();
    expect(scoring.state().status).toBe('stopped');
    await ingestion.execute(write([submission(99, '2026')]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await store.readAll()).filter((e) => e.type === SCORE_COMPUTED)).toHaveLength(3);

    await relay.close();
    await bus.close();
    await store.close();
  });

  it('fails to start, saying why, when its thread cannot open the store', async () => {
    const scoring = createScoringThread({
      storePath: join(dir, 'missing', 'ledger.sqlite'),
      bus: getInProcessBus(),
      logger,
    });
    await expect(scoring.start()).rejects.toThrow(/unable to open/i);
    expect(scoring.state()).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/unable to open/i),
    });
    await scoring.stop();
    expect(scoring.state().status).toBe('failed');
  });
});
