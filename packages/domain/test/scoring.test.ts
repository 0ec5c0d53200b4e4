import { beforeEach, describe, expect, it } from 'vitest';
import type { MethodologyIndicator } from '../src/model.ts';
import { type IndicatorScore, isMet, pointsFor, scoreUnit } from '../src/scoring.ts';
import { viewAt } from '../src/view.ts';
import {
  catalogLedger,
  cmd,
  GROUP,
  IND,
  methodologyOf,
  PROVINCE_METHODOLOGY,
  publishProvinceMethodology,
  type TestLedger,
} from './fixtures.ts';

const AUTHORITY = 'Văn phòng Chính phủ';

/** Scores a unit with the province methodology and returns its score for one indicator. */
function scoreOf(l: TestLedger, unitId: string, indicator: string, period: string): IndicatorScore {
  const view = l.view();
  const score = scoreUnit(view, methodologyOf(view, PROVINCE_METHODOLOGY), unitId, period);
  const found = score.indicators.find((s) => s.indicator === indicator);
  if (!found) throw new Error(`${indicator} is not in the methodology`);
  return found;
}

describe('scoring (Decision 766 province methodology)', () => {
  let l: TestLedger;
  beforeEach(() => {
    l = catalogLedger();
    publishProvinceMethodology(l);
  });

  describe('attainment with a threshold (online-service rate: threshold 80, 12 points)', () => {
    it('Given 60% online, When scored, Then it earns 60 × 12 ÷ 80 = 9 points and is not met', () => {
      l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 60 });
      const s = scoreOf(l, 'HN', IND.online, '2024');
      expect(s).toMatchObject({ benchmark: 80, met: false, points: 9, maxPoints: 12, group: GROUP.online });
      expect(s.value?.value).toBe(60);
    });

    it('Given 95% online, Then it earns the full 12 points and is met', () => {
      l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 95 });
      expect(scoreOf(l, 'HN', IND.online, '2024')).toMatchObject({ benchmark: 80, met: true, points: 12 });
    });

    it('Given exactly the threshold, Then it is met (≥ for higher-is-better)', () => {
      l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 80 });
      expect(scoreOf(l, 'HN', IND.online, '2024')).toMatchObject({ met: true, points: 12 });
    });

    it('Given a target as well, Then the threshold is the benchmark and the target is only reported', () => {
      l.record(cmd('target', { indicator: IND.online, period: '2024', value: 90, authority: AUTHORITY }));
      l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 85 });
      const s = scoreOf(l, 'HN', IND.online, '2024');
      expect(s).toMatchObject({ benchmark: 80, met: true, points: 12 });
      expect(s.target?.value).toBe(90);
    });
  });

  describe('attainment against a target (on-time rate: 20 points)', () => {
    beforeEach(() => {
      l.record(cmd('target', { indicator: IND.onTime, period: '2024', value: 95, authority: AUTHORITY }));
    });

    it('Given 76% on time against a 95% target, Then it earns 76 × 20 ÷ 95 = 16 points', () => {
      l.submit({ unitId: 'HP', indicator: IND.onTime, period: '2024', value: 76 });
      expect(scoreOf(l, 'HP', IND.onTime, '2024')).toMatchObject({ benchmark: 95, met: false, points: 16 });
    });

    it('Given the target reached, Then it earns all 20 points', () => {
      l.submit({ unitId: 'HP', indicator: IND.onTime, period: '2024', value: 97.5 });
      expect(scoreOf(l, 'HP', IND.onTime, '2024')).toMatchObject({ benchmark: 95, met: true, points: 20 });
    });

    it('Given no target and no threshold, Then it earns 0 points and met is null (it cannot be met)', () => {
      l.submit({ unitId: 'HP', indicator: IND.onTime, period: '2023', value: 99 });
      const s = scoreOf(l, 'HP', IND.onTime, '2023');
      expect(s).toMatchObject({ benchmark: null, target: null, met: null, points: 0 });
      expect(s.value?.value).toBe(99);
    });
  });

  describe('lower-is-better attainment mirrors the rule (average processing days: 10 points)', () => {
    beforeEach(() => {
      l.record(
        cmd('target', { indicator: IND.processingDays, period: '2024', value: 5, authority: AUTHORITY }),
      );
    });

    it('Given 8 days against a 5-day target, Then it earns 5 × 10 ÷ 8 = 6.25 points', () => {
      l.submit({ unitId: 'DN', indicator: IND.processingDays, period: '2024', value: 8 });
      const s = scoreOf(l, 'DN', IND.processingDays, '2024');
      expect(s).toMatchObject({ direction: 'lower-is-better', benchmark: 5, met: false, points: 6.25 });
    });

    it.each([4, 5, 0])('Given %d days, at or under the target, Then it is met with all 10 points', (days) => {
      l.submit({ unitId: 'DN', indicator: IND.processingDays, period: '2024', value: days });
      expect(scoreOf(l, 'DN', IND.processingDays, '2024')).toMatchObject({ met: true, points: 10 });
    });
  });

  describe('scaled (satisfaction: 0.2 points per percent, at most 18)', () => {
    it('Given 85% satisfied, Then it earns 17 points; a scaled rule has no benchmark', () => {
      l.submit({ unitId: 'HCM', indicator: IND.satisfaction, period: '2024', value: 85 });
      expect(scoreOf(l, 'HCM', IND.satisfaction, '2024')).toMatchObject({
        points: 17,
        benchmark: null,
        met: null,
      });
    });

    it('Given 95% satisfied (19 points by the factor), Then it is kept to maxPoints 18', () => {
      l.submit({ unitId: 'HCM', indicator: IND.satisfaction, period: '2024', value: 95 });
      expect(scoreOf(l, 'HCM', IND.satisfaction, '2024').points).toBe(18);
    });

    it('Given a target, Then a scaled rule reports met against it but its points ignore it', () => {
      l.record(
        cmd('target', { indicator: IND.satisfaction, period: '2024', value: 90, authority: AUTHORITY }),
      );
      l.submit({ unitId: 'HCM', indicator: IND.satisfaction, period: '2024', value: 85 });
      expect(scoreOf(l, 'HCM', IND.satisfaction, '2024')).toMatchObject({
        points: 17,
        benchmark: 90,
        met: false,
      });
    });

    it('Given a penalty (negative factor), Then points are kept at 0, never negative', () => {
      l.record(
        cmd('methodology', {
          id: 'penalty',
          name: 'Trừ điểm hồ sơ quá hạn',
          level: 'province',
          indicators: [{ indicator: IND.overdue, maxPoints: 10, rule: { kind: 'scaled', factor: -0.5 } }],
        }),
      );
      l.submit({ unitId: 'HN', indicator: IND.overdue, period: '2024', value: 12 });
      const view = l.view();
      const score = scoreUnit(view, methodologyOf(view, 'penalty'), 'HN', '2024');
      expect(score.indicators[0]?.points).toBe(0);
      expect(score.total).toBe(0);
      expect(score.groups).toEqual({ general: 0 });
    });
  });

  describe('met (digitised dossiers: 8 points)', () => {
    it('Given a 70% target and 72% digitised, Then it is met with 8 points', () => {
      l.record(cmd('target', { indicator: IND.digitised, period: '2024', value: 70, authority: AUTHORITY }));
      l.submit({ unitId: 'HN', indicator: IND.digitised, period: '2024', value: 72 });
      expect(scoreOf(l, 'HN', IND.digitised, '2024')).toMatchObject({ benchmark: 70, met: true, points: 8 });
    });

    it('Given a 70% target and 65% digitised, Then it is not met and earns 0 (no partial credit)', () => {
      l.record(cmd('target', { indicator: IND.digitised, period: '2024', value: 70, authority: AUTHORITY }));
      l.submit({ unitId: 'HN', indicator: IND.digitised, period: '2024', value: 65 });
      expect(scoreOf(l, 'HN', IND.digitised, '2024')).toMatchObject({ benchmark: 70, met: false, points: 0 });
    });

    it('Given no target, Then it earns 0 points and met is null', () => {
      l.submit({ unitId: 'HN', indicator: IND.digitised, period: '2024', value: 100 });
      expect(scoreOf(l, 'HN', IND.digitised, '2024')).toMatchObject({
        benchmark: null,
        met: null,
        points: 0,
      });
    });
  });

  describe('a missing value', () => {
    it('Given no submission, Then every indicator scores 0 and those with a benchmark count as not met', () => {
      l.record(cmd('target', { indicator: IND.onTime, period: '2024', value: 95, authority: AUTHORITY }));
      const view = l.view();
      const score = scoreUnit(view, methodologyOf(view, PROVINCE_METHODOLOGY), 'HP', '2024');
      expect(score.total).toBe(0);
      expect(score.indicators.map((s) => [s.indicator, s.value, s.points, s.met])).toEqual([
        [IND.online, null, 0, false],
        [IND.onTime, null, 0, false],
        [IND.processingDays, null, 0, null],
        [IND.satisfaction, null, 0, null],
        [IND.digitised, null, 0, null],
      ]);
      expect(score.indicatorsMet).toBe(0);
      expect(score.indicatorsTotal).toBe(2);
    });

    it('Given a retracted submission, Then the value is missing again', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 95 });
      l.record(cmd('retraction', { submissionId: id, reason: 'Nộp nhầm kỳ báo cáo' }));
      expect(scoreOf(l, 'HN', IND.online, '2024')).toMatchObject({ value: null, met: false, points: 0 });
    });

    it('Given a corrected submission, Then the corrected value is scored', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 95 });
      l.record(cmd('correction', { submissionId: id, value: 60, reason: 'Số liệu kiểm tra lại' }));
      const s = scoreOf(l, 'HN', IND.online, '2024');
      expect(s).toMatchObject({ met: false, points: 9 });
      const details = s.value && l.view().valueDetails(s.value);
      expect(details?.corrections.map((c) => c.value)).toEqual([60]);
      expect(details?.value).toBe(60);
    });
  });

  describe('which target is in force (LedgerView.target)', () => {
    beforeEach(() => {
      l.record(cmd('target', { indicator: IND.onTime, period: '2024', value: 90, authority: AUTHORITY }));
      l.record(
        cmd('target', {
          indicator: IND.onTime,
          period: '2024',
          unitId: 'HN',
          value: 95,
          authority: AUTHORITY,
        }),
      );
    });

    it("a unit's own target comes before the general one", () => {
      const view = l.view();
      expect(view.target(IND.onTime, '2024', 'HN')?.value).toBe(95);
      expect(view.target(IND.onTime, '2024', 'HP')?.value).toBe(90);
    });

    it("a year's targets apply to its quarters and months that have none", () => {
      const view = l.view();
      expect(view.target(IND.onTime, '2024-Q2', 'HN')?.value).toBe(95);
      expect(view.target(IND.onTime, '2024-Q2', 'HP')?.value).toBe(90);
      expect(view.target(IND.onTime, '2024-06', 'HP')?.value).toBe(90);
      expect(view.target(IND.onTime, '2024-Q2', 'HP')?.period).toBe('2024');
    });

    it("a period's own target comes before its year's", () => {
      l.record(cmd('target', { indicator: IND.onTime, period: '2024-Q4', value: 98, authority: AUTHORITY }));
      l.record(
        cmd('target', {
          indicator: IND.onTime,
          period: '2024-Q3',
          unitId: 'HP',
          value: 85,
          authority: AUTHORITY,
        }),
      );
      const view = l.view();
      expect(view.target(IND.onTime, '2024-Q4', 'HP')?.value).toBe(98);
      expect(view.target(IND.onTime, '2024-Q3', 'HP')?.value).toBe(85);
      expect(view.target(IND.onTime, '2024-Q3', 'HN')?.value).toBe(95);
      // The general Q4 target is the period's own, so it comes before Hà Nội's target for the year.
      expect(view.target(IND.onTime, '2024-Q4', 'HN')?.value).toBe(98);
    });

    it("another year's target never applies", () => {
      const view = l.view();
      expect(view.target(IND.onTime, '2023', 'HN')).toBeUndefined();
      expect(view.target(IND.onTime, '2025-Q1', 'HP')).toBeUndefined();
    });

    it('a target set again replaces the earlier one from its position on', () => {
      const before = l.events.length;
      l.record(
        cmd('target', {
          indicator: IND.onTime,
          period: '2024',
          value: 92,
          authority: AUTHORITY,
          reason: 'Điều chỉnh',
        }),
      );
      const index = l.index();
      expect(viewAt(index).target(IND.onTime, '2024', 'HP')).toMatchObject({
        value: 92,
        reason: 'Điều chỉnh',
      });
      expect(viewAt(index, before).target(IND.onTime, '2024', 'HP')?.value).toBe(90);
    });

    it('scoring uses the target in force for the unit', () => {
      l.submit({ unitId: 'HN', indicator: IND.onTime, period: '2024-Q2', value: 76 });
      l.submit({ unitId: 'HP', indicator: IND.onTime, period: '2024-Q2', value: 72 });
      // Hà Nội: 76 × 20 ÷ 95 = 16. Hải Phòng: 72 × 20 ÷ 90 = 16.
      expect(scoreOf(l, 'HN', IND.onTime, '2024-Q2')).toMatchObject({ benchmark: 95, points: 16 });
      expect(scoreOf(l, 'HP', IND.onTime, '2024-Q2')).toMatchObject({ benchmark: 90, points: 16 });
    });
  });
});

describe('pointsFor and isMet (the rules on their own)', () => {
  const item = (rule: MethodologyIndicator['rule'], maxPoints?: number): MethodologyIndicator => ({
    indicator: IND.online,
    group: 'general',
    rule,
    ...(maxPoints === undefined ? {} : { maxPoints }),
  });

  it('scaled without maxPoints has no upper bound but is still kept at 0 or more', () => {
    expect(pointsFor(item({ kind: 'scaled', factor: 0.2 }), 'higher-is-better', 250, null)).toBe(50);
    expect(pointsFor(item({ kind: 'scaled', factor: 2 }), 'higher-is-better', -3, null)).toBe(0);
  });

  it('a missing value earns 0 under every rule', () => {
    expect(pointsFor(item({ kind: 'scaled', factor: 1 }, 10), 'higher-is-better', null, 5)).toBe(0);
    expect(pointsFor(item({ kind: 'attainment' }, 10), 'higher-is-better', null, 5)).toBe(0);
    expect(pointsFor(item({ kind: 'attainment' }, 10), 'lower-is-better', null, 5)).toBe(0);
    expect(pointsFor(item({ kind: 'met' }, 10), 'lower-is-better', null, 5)).toBe(0);
  });

  it('attainment without a benchmark earns 0', () => {
    expect(pointsFor(item({ kind: 'attainment' }, 12), 'higher-is-better', 95, null)).toBe(0);
    expect(pointsFor(item({ kind: 'attainment' }, 12), 'lower-is-better', 1, null)).toBe(0);
  });

  it('met is ≥ for higher-is-better and ≤ for lower-is-better', () => {
    expect(isMet('higher-is-better', 80, 80)).toBe(true);
    expect(isMet('higher-is-better', 79.9, 80)).toBe(false);
    expect(isMet('lower-is-better', 5, 5)).toBe(true);
    expect(isMet('lower-is-better', 5.1, 5)).toBe(false);
  });
});
