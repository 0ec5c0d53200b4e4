import { beforeEach, describe, expect, it } from 'vitest';
import { rankingChanges } from '../src/ranking-changes.ts';
import { catalogLedger, cmd, IND, type TestLedger } from './fixtures.ts';

const DAY = 86_400_000;

/** A methodology that ranks provinces on satisfaction alone: 0.2 points per percent, at most 18. */
function publishSatisfactionOnly(l: TestLedger, atMs: number): void {
  l.record(
    cmd('methodology', {
      id: 'satisfaction-only',
      name: 'Mức độ hài lòng',
      level: 'province',
      indicators: [{ indicator: IND.satisfaction, maxPoints: 18, rule: { kind: 'scaled', factor: 0.2 } }],
    }),
    atMs,
  );
}

const instants = (l: TestLedger, options = {}) =>
  rankingChanges(l.index(), 'satisfaction-only', '2024', options).changes.map((c) => [
    new Date(c.recordedAtMs).toISOString().slice(0, 10),
    c.unitsMoved,
  ]);

describe('the instants at which a ranking changed', () => {
  let l: TestLedger;
  let t: number;
  beforeEach(() => {
    l = catalogLedger();
    t = l.clock + DAY;
    publishSatisfactionOnly(l, t);
  });

  it('Given the methodology and two submissions, Then each is a change, with the units it moved', () => {
    l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 80 }, t + DAY);
    l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 85 }, t + 2 * DAY);
    const [published, ...rest] = instants(l);
    expect(published?.[0]).toBe('2024-01-16');
    // The first value ranks all four provinces (HN 1st, the others tied 2nd); HP's then passes
    // HN (16 → 17 points), and the two without a value drop from 2nd to 3rd: all four moved.
    expect(rest).toEqual([
      ['2024-01-17', 4],
      ['2024-01-18', 4],
    ]);
  });

  it('Given a correction that changes only one total, Then one unit moved', () => {
    const submissionId = l.submit(
      { unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 80 },
      t + DAY,
    );
    l.record(cmd('correction', { submissionId, value: 85, reason: 'Sai số liệu' }), t + 2 * DAY);
    expect(instants(l).at(-1)).toEqual(['2024-01-18', 1]);
  });

  it('Given a value of an indicator outside the methodology, or of another period, Then it is no change', () => {
    l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 90 }, t + DAY);
    l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 50 }, t + 2 * DAY);
    l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2023', value: 10 }, t + 3 * DAY);
    const days = instants(l).map(([day]) => day);
    expect(days).toEqual(['2024-01-16', '2024-01-17']);
  });

  it('Given events recorded at one instant, Then they are one change, as an as-of answer sees them', () => {
    l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 90 }, t + DAY);
    l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 95 }, t + DAY);
    expect(instants(l).map(([day]) => day)).toEqual(['2024-01-16', '2024-01-17']);
  });

  it('Given bounds, Then only the changes between them, and none for an unknown methodology', () => {
    l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 90 }, t + DAY);
    l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 95 }, t + 2 * DAY);
    expect(instants(l, { fromMs: t + DAY, toMs: t + DAY }).map(([day]) => day)).toEqual(['2024-01-17']);
    expect(rankingChanges(l.index(), 'no-such', '2024').changes).toEqual([]);
  });
});
