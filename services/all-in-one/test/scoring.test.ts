import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { expectedScoreEvents } from '@ledger/scoring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from './seed.ts';
import { startTestLedger, type TestLedger } from './support.ts';

describe('the scoring service in the all-in-one server', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on' });
  });
  afterAll(() => ledger.dispose());

  it('records exactly the score events a clean run over the log gives, each once', async () => {
    await ledger.settled();
    const store = getSQLiteEventStore({ path: ledger.databasePath });
    const log = await store.readAll();
    await store.close();
    const recorded = log
      .filter((e) => e.type === 'ledger.score-computed.v1')
      .map((e) => ({ streamId: e.streamId, data: e.data }));
    expect(recorded.length).toBeGreaterThan(100);
    expect(recorded).toEqual(expectedScoreEvents(log));
  });

  it('scores a correction: the corrected unit gets a new score computed from the correction', async () => {
    const card = await ledger.get('/v1/units/748/scorecard/cchc-district/2023');
    const onTime = card.body.indicators.find(
      (i: { indicator: string }) => i.indicator === 'dossiers-on-time',
    );
    const correction = await ledger.post(`/v1/submissions/${onTime.submission.submissionId}/corrections`, {
      value: 90,
      reason: 'Thống kê lại số hồ sơ trễ hạn',
    });
    expect(correction.status).toBe(201);
    await ledger.settled();
    const history = await ledger.get(`/v1/events?after=${correction.body.position}&limit=10`);
    const score = history.body.events.find(
      (e: { streamId: string }) => e.streamId === 'score:cchc-district:2023:748',
    );
    expect(score.data).toMatchObject({ computedFrom: correction.body.position, methodologyVersion: 2 });
    const ranking = await ledger.get('/v1/rankings/cchc-district/2023');
    const row = ranking.body.rows.find((r: { unitId: string }) => r.unitId === '748');
    expect(score.data.total).toBe(row.totalExact);
    expect(score.metadata.causationId).toBe(correction.body.eventId);
  });
});

describe('score events record changes only', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
  });
  afterAll(() => ledger.dispose());

  const scoresOf747 = async () => {
    await ledger.settled();
    const events = (await ledger.get('/v1/events?limit=1000')).body.events as {
      streamId: string;
      data: { points: Record<string, number>; computedFrom: number };
    }[];
    return events.filter((e) => e.streamId === 'score:cchc:2023:747').map((e) => e.data);
  };

  it('gives no score event for an input that leaves the score as it was, and one for an input that changes it', async () => {
    const value = await ledger.post('/v1/batch', { commands: [submission('747', 'on-time', 99)] });
    expect(value.status).toBe(201);
    expect((await scoresOf747()).map((s) => s.points['on-time'])).toEqual([60]);

    const target = (value: number) =>
      ledger.post('/v1/targets', {
        indicator: 'on-time',
        period: '2023',
        unitId: '747',
        value,
        authority: 'UBND huyện',
      });
    expect((await target(97)).status).toBe(201); // 99 still meets it: full points, the same score
    expect((await scoresOf747()).map((s) => s.points['on-time'])).toEqual([60]);

    const missed = await target(99.5); // 99 misses it: attainment 99 × 60 ÷ 99.5
    expect(missed.status).toBe(201);
    const scores = await scoresOf747();
    expect(scores.map((s) => s.points['on-time'])).toEqual([60, (99 * 60) / 99.5]);
    expect(scores.at(-1)?.computedFrom).toBe(missed.body.position);
  });
});
