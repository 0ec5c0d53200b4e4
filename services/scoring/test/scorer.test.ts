import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@ledger/domain';
import type { AppendRequest } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createScorer, expectedScoreEvents } from '../src/scorer.ts';

const logger = createLogger('scorer-test', 'silent');

/** The score event a request records, as the log gives it back at `position`. */
const recorded = (request: AppendRequest, position: number, recordedAt: string): RecordedEvent => {
  const event = request.events[0] as AppendRequest['events'][number];
  return { ...event, streamId: request.streamId, revision: 0, position, recordedAt };
};

describe('the scorer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scorer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the newest score it computed when an older one comes back through the log', async () => {
    const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));
    const submitted = await ingestion.execute(write([submission(80)]));
    const submissionId = submitted.results[0]?.submissionId as string;
    await ingestion.execute(
      write([{ type: 'correction', body: { submissionId, value: 90, reason: 'nhập nhầm' } }]),
    );
    // A target the rule does not use (it has its own threshold): the score it gives is the same.
    await ingestion.execute(
      write([
        {
          type: 'target',
          body: { indicator: 'on-time', period: '2023', unitId: '747', value: 50, authority: 'Sở Nội vụ' },
        },
      ]),
    );
    const events = await store.readAll();
    await store.close();
    const target = events.at(-1) as RecordedEvent;
    const correction = events.at(-2) as RecordedEvent;
    const first = events.at(-3) as RecordedEvent;

    // Scoring scores the submission and the correction; the score of the submission is recorded
    // after the correction, and comes back to scoring just before the target does.
    const scorer = createScorer();
    for (const e of events.slice(0, -3)) expect(scorer.score(e)).toEqual([]);
    const [fromFirst] = scorer.score(first);
    const [fromCorrection] = scorer.score(correction);
    expect(fromFirst && fromCorrection).toBeTruthy();
    const back = recorded(fromFirst as AppendRequest, correction.position + 1, correction.recordedAt);
    expect(scorer.score(back)).toEqual([]);
    const later = { ...target, position: correction.position + 2 };
    expect(scorer.score(later)).toEqual([]);

    // …which is what a clean run over that log gives.
    const log = [...events.slice(0, -1), back, later];
    expect(expectedScoreEvents(log)).toHaveLength(2);
  });
});
