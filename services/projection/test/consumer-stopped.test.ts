import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, type ConsumeOptions, getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection } from '../src/projection.ts';

const logger = createLogger('projection-test', 'silent');

/** The in-process bus, with a hold on each consumer's failure report, as a Kafka consumer that gave up would make it. */
function busThatCanGiveUp() {
  const inner = getInProcessBus();
  const reports: ((error: unknown) => void)[] = [];
  const bus: Bus = {
    publish: (topic, messages) => inner.publish(topic, messages),
    consume: (topic, options: ConsumeOptions) => {
      if (options.onError) reports.push(options.onError);
      return inner.consume(topic, options);
    },
    close: () => inner.close(),
  };
  const giveUp = (error: Error) => {
    for (const report of reports) report(error);
  };
  return { bus, giveUp };
}

describe('a projection whose events consumer stops for good', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'consumer-stopped-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says failed, with the reason, and a rebuild does not make it live again', async () => {
    // Given a live projection
    const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write([...REFERENCE, submission(80)]));
    const { bus, giveUp } = busThatCanGiveUp();
    const projection = createProjection({ store, bus, logger, path: join(dir, 'projection.sqlite') });
    await projection.start();
    expect(projection.state().status).toBe('live');

    // When the bus reports that its consumer stopped
    giveUp(new Error('not authorized to read the topic'));

    // Then nobody is told it is live, and readers stop waiting for it
    expect(projection.state()).toMatchObject({
      status: 'failed',
      error: { message: 'stopped following the events topic: not authorized to read the topic' },
    });
    expect(await projection.waitFor(projection.state().checkpoint + 1, 1_000)).toBe(false);

    // and a rebuild, which swaps in a fresh index, leaves it failed: nothing would follow the log
    await projection.rebuild();
    await expect.poll(() => projection.state().rebuild?.status).toBe('done');
    expect(projection.state().status).toBe('failed');

    await projection.stop();
    await store.close();
  });
});
