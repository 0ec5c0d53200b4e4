import { beforeEach, describe, expect, it } from 'vitest';
import { parseAsOf } from '../src/instants.ts';
import { type Ranking, rank } from '../src/ranking.ts';
import { positionAsOf, viewAt } from '../src/view.ts';
import {
  catalogLedger,
  cmd,
  GROUP,
  IND,
  methodologyOf,
  PROVINCE_METHODOLOGY,
  publishProvinceMethodology,
  registerThuaThienHue,
  type TestLedger,
} from './fixtures.ts';

const AUTHORITY = 'Văn phòng Chính phủ';

/** A methodology that ranks provinces on satisfaction alone: 0.2 points per percent, at most 18. */
function publishSatisfactionOnly(l: TestLedger, id = 'satisfaction-only'): void {
  l.record(
    cmd('methodology', {
      id,
      name: 'Mức độ hài lòng',
      level: 'province',
      indicators: [{ indicator: IND.satisfaction, maxPoints: 18, rule: { kind: 'scaled', factor: 0.2 } }],
    }),
  );
}

function ranking(l: TestLedger, methodologyId: string, period: string, parentId?: string): Ranking {
  const view = l.view();
  return rank(view, methodologyOf(view, methodologyId, period), period, parentId);
}

const table = (r: Ranking) => r.rows.map((row) => [row.rank, row.unitId, row.total]);

describe('ranking', () => {
  let l: TestLedger;
  beforeEach(() => {
    l = catalogLedger();
  });

  describe('order and shared ranks', () => {
    it('Given equal totals, Then they share a rank, the next rank skips (1, 2, 2, 4) and ties go by unit id', () => {
      publishSatisfactionOnly(l);
      for (const [unitId, value] of [
        ['HN', 90],
        ['HP', 75],
        ['DN', 75],
        ['HCM', 50],
      ] as const)
        l.submit({ unitId, indicator: IND.satisfaction, period: '2024', value });

      expect(table(ranking(l, 'satisfaction-only', '2024'))).toEqual([
        [1, 'HN', 18],
        [2, 'DN', 15],
        [2, 'HP', 15],
        [4, 'HCM', 10],
      ]);
    });

    it('Given units with no values at all, Then they tie at 0 in unit-id order', () => {
      publishSatisfactionOnly(l);
      l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 10 });
      expect(table(ranking(l, 'satisfaction-only', '2024'))).toEqual([
        [1, 'HP', 2],
        [2, 'DN', 0],
        [2, 'HCM', 0],
        [2, 'HN', 0],
      ]);
    });

    it('orders ties by code point, not by locale (upper case before lower case)', () => {
      l.record(
        cmd('unit', {
          id: 'bac-ninh',
          validFrom: '2000-01-01',
          name: 'Tỉnh Bắc Ninh',
          level: 'province',
          parentId: 'VN',
        }),
      );
      publishSatisfactionOnly(l);
      l.submit({ unitId: 'bac-ninh', indicator: IND.satisfaction, period: '2024', value: 75 });
      l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 75 });
      const ids = ranking(l, 'satisfaction-only', '2024').rows.map((r) => r.unitId);
      expect(ids.slice(0, 2)).toEqual(['HP', 'bac-ninh']);
    });

    it('compares totals exactly: 0.1 + 0.2 ranks above 0.3 although both display as 0.3', () => {
      l.record(
        cmd('methodology', {
          id: 'exact',
          name: 'Kiểm tra so sánh chính xác',
          level: 'province',
          indicators: [
            { indicator: IND.satisfaction, rule: { kind: 'scaled', factor: 1 } },
            { indicator: IND.digitised, rule: { kind: 'scaled', factor: 1 } },
          ],
        }),
      );
      l.submit({ unitId: 'HP', indicator: IND.satisfaction, period: '2024', value: 0.1 });
      l.submit({ unitId: 'HP', indicator: IND.digitised, period: '2024', value: 0.2 });
      l.submit({ unitId: 'DN', indicator: IND.satisfaction, period: '2024', value: 0.3 });
      l.submit({ unitId: 'DN', indicator: IND.digitised, period: '2024', value: 0 });
      const rows = ranking(l, 'exact', '2024').rows;
      expect(rows.slice(0, 2).map((r) => [r.rank, r.unitId])).toEqual([
        [1, 'HP'],
        [2, 'DN'],
      ]);
    });
  });

  describe('which units are ranked', () => {
    it('Given units of other levels, Then only the methodology level is ranked', () => {
      l.record(
        cmd('unit', {
          id: 'HN-BD',
          validFrom: '2000-01-01',
          name: 'Quận Ba Đình',
          level: 'district',
          parentId: 'HN',
        }),
      );
      l.record(cmd('unit', { id: 'BTP', validFrom: '2000-01-01', name: 'Bộ Tư pháp', level: 'ministry' }));
      publishSatisfactionOnly(l);
      l.submit({ unitId: 'HN-BD', indicator: IND.satisfaction, period: '2024', value: 99 });
      l.submit({ unitId: 'BTP', indicator: IND.satisfaction, period: '2024', value: 99 });
      const ids = ranking(l, 'satisfaction-only', '2024').rows.map((r) => r.unitId);
      expect(ids).toEqual(['DN', 'HCM', 'HN', 'HP']);
    });

    describe('Given Hà Tây, abolished on 2008-08-01 (validTo 2008-07-31), merged into Hà Nội', () => {
      beforeEach(() => {
        l.record(
          cmd('unit', {
            id: 'HT',
            validFrom: '2000-01-01',
            name: 'Tỉnh Hà Tây',
            level: 'province',
            parentId: 'VN',
            validTo: '2008-07-31',
            successorId: 'HN',
          }),
        );
        publishSatisfactionOnly(l);
      });

      it.each([
        ['2008', true],
        ['2008-Q3', true],
        ['2008-07', true],
        ['2008-08', false],
        ['2008-Q4', false],
        ['2023', false],
      ])('in %s it is ranked: %s', (period, ranked) => {
        const ids = ranking(l, 'satisfaction-only', period).rows.map((r) => r.unitId);
        expect(ids.includes('HT')).toBe(ranked);
      });
    });

    describe('Given Đắk Nông, established on 2004-01-01', () => {
      beforeEach(() => {
        l.record(
          cmd('unit', {
            id: 'DNO',
            name: 'Tỉnh Đắk Nông',
            level: 'province',
            parentId: 'VN',
            validFrom: '2004-01-01',
          }),
        );
        publishSatisfactionOnly(l);
      });

      it.each([
        ['2003', false],
        ['2003-Q4', false],
        ['2003-12', false],
        ['2004-01', true],
        ['2004-Q1', true],
        ['2004', true],
      ])('in %s it is ranked: %s', (period, ranked) => {
        const ids = ranking(l, 'satisfaction-only', period).rows.map((r) => r.unitId);
        expect(ids.includes('DNO')).toBe(ranked);
      });
    });

    it('Given a unit that existed for only part of the year, Then its values for that year count', () => {
      l.record(
        cmd('unit', {
          id: 'NEW',
          name: 'Tỉnh Mới',
          level: 'province',
          parentId: 'VN',
          validFrom: '2024-07-01',
        }),
      );
      publishSatisfactionOnly(l);
      l.submit({ unitId: 'NEW', indicator: IND.satisfaction, period: '2024', value: 95 });
      expect(table(ranking(l, 'satisfaction-only', '2024'))[0]).toEqual([1, 'NEW', 18]);
    });
  });

  describe('names and parents over time', () => {
    beforeEach(() => {
      l.record(registerThuaThienHue());
      publishSatisfactionOnly(l);
      l.later(
        30,
        cmd('unit-revision', { unitId: 'TTH', name: 'Thành phố Huế', effectiveFrom: '2024-01-01' }),
      );
    });

    it.each([
      ['2023', 'Tỉnh Thừa Thiên Huế'],
      ['2023-Q4', 'Tỉnh Thừa Thiên Huế'],
      ['2023-12', 'Tỉnh Thừa Thiên Huế'],
      ['2024', 'Thành phố Huế'],
      ['2024-01', 'Thành phố Huế'],
    ])('Given a rename effective 2024-01-01, the %s ranking shows %s', (period, name) => {
      const row = ranking(l, 'satisfaction-only', period).rows.find((r) => r.unitId === 'TTH');
      expect(row?.unitName).toBe(name);
      expect(row?.parentId).toBe('VN');
    });

    it('Given the rename was not yet recorded, Then the 2024 ranking as of then shows the old name', () => {
      const index = l.index();
      const view = viewAt(index, l.events.length - 1);
      const row = rank(view, methodologyOf(view, 'satisfaction-only'), '2024').rows.find(
        (r) => r.unitId === 'TTH',
      );
      expect(row?.unitName).toBe('Tỉnh Thừa Thiên Huế');
    });
  });

  describe('a unit abolished after a rename', () => {
    it('Given a rename effective 2024-01-01 and a later abolition, Then the 2023 ranking still shows the old name', () => {
      l.record(registerThuaThienHue());
      publishSatisfactionOnly(l);
      l.later(
        30,
        cmd('unit-revision', { unitId: 'TTH', name: 'Thành phố Huế', effectiveFrom: '2024-01-01' }),
      );
      l.later(30, cmd('unit-revision', { unitId: 'TTH', validTo: '2030-06-30', successorId: 'HN' }));

      const name = (period: string) =>
        ranking(l, 'satisfaction-only', period).rows.find((r) => r.unitId === 'TTH')?.unitName;
      expect(name('2024')).toBe('Thành phố Huế');
      expect(name('2023')).toBe('Tỉnh Thừa Thiên Huế');
    });
  });

  describe('parentId filter', () => {
    beforeEach(() => {
      l.record(
        cmd('unit', {
          id: 'HT',
          validFrom: '2000-01-01',
          name: 'Tỉnh Hà Tây',
          level: 'province',
          parentId: 'VN',
          validTo: '2008-07-31',
        }),
      );
      for (const [id, name, parentId] of [
        ['HN-BD', 'Quận Ba Đình', 'HN'],
        ['HN-HK', 'Quận Hoàn Kiếm', 'HN'],
        ['HP-LC', 'Quận Lê Chân', 'HP'],
        ['HD', 'Thị xã Hà Đông', 'HT'],
      ] as const)
        l.record(cmd('unit', { id, validFrom: '2000-01-01', name, level: 'district', parentId }));
      // Hà Đông passed to Hà Nội with the rest of Hà Tây.
      l.record(
        cmd('unit-revision', {
          unitId: 'HD',
          name: 'Quận Hà Đông',
          parentId: 'HN',
          effectiveFrom: '2008-08-01',
        }),
      );
      l.record(
        cmd('methodology', {
          id: 'district',
          name: 'Cấp huyện',
          level: 'district',
          indicators: [{ indicator: IND.onTime, maxPoints: 20, rule: { kind: 'attainment', threshold: 90 } }],
        }),
      );
    });

    it('Given a parent, Then only the units under it (as named at the end of the period) are ranked', () => {
      const rows = ranking(l, 'district', '2024', 'HN').rows;
      expect(rows.map((r) => [r.unitId, r.unitName, r.parentId])).toEqual([
        ['HD', 'Quận Hà Đông', 'HN'],
        ['HN-BD', 'Quận Ba Đình', 'HN'],
        ['HN-HK', 'Quận Hoàn Kiếm', 'HN'],
      ]);
      expect(ranking(l, 'district', '2024', 'HP').rows.map((r) => r.unitId)).toEqual(['HP-LC']);
    });

    it('Given a unit that changed parent, Then it is under its old parent before the change', () => {
      expect(ranking(l, 'district', '2007', 'HT').rows.map((r) => [r.unitId, r.unitName])).toEqual([
        ['HD', 'Thị xã Hà Đông'],
      ]);
      expect(ranking(l, 'district', '2007', 'HN').rows.map((r) => r.unitId)).toEqual(['HN-BD', 'HN-HK']);
    });

    it('Given no parent, Then every unit of the level is ranked', () => {
      expect(ranking(l, 'district', '2024').rows).toHaveLength(4);
    });

    it('Given a parent with no units under it, Then the ranking is empty', () => {
      expect(ranking(l, 'district', '2024', 'DN').rows).toEqual([]);
    });
  });

  describe('the scores behind a row', () => {
    beforeEach(() => {
      publishProvinceMethodology(l);
      l.record(cmd('target', { indicator: IND.onTime, period: '2024', value: 95, authority: AUTHORITY }));
      l.record(
        cmd('target', { indicator: IND.processingDays, period: '2024', value: 5, authority: AUTHORITY }),
      );
      l.record(cmd('target', { indicator: IND.digitised, period: '2024', value: 70, authority: AUTHORITY }));
      const values = {
        HN: {
          [IND.online]: 60,
          [IND.onTime]: 76,
          [IND.processingDays]: 8,
          [IND.satisfaction]: 85,
          [IND.digitised]: 72,
        },
        HP: {
          [IND.online]: 95,
          [IND.onTime]: 97,
          [IND.processingDays]: 4,
          [IND.satisfaction]: 95,
          [IND.digitised]: 65,
        },
      };
      for (const [unitId, byIndicator] of Object.entries(values))
        for (const [indicator, value] of Object.entries(byIndicator))
          l.submit({ unitId, indicator, period: '2024', value });
    });

    it('groups add up per group, in methodology order, and the total adds up the groups', () => {
      const r = ranking(l, PROVINCE_METHODOLOGY, '2024');
      const hn = r.rows.find((row) => row.unitId === 'HN');
      // 9 (online) | 16 + 6.25 (progress) | 17 (satisfaction) | 8 (digitisation)
      expect(hn?.groups).toEqual({
        [GROUP.online]: 9,
        [GROUP.progress]: 22.25,
        [GROUP.satisfaction]: 17,
        [GROUP.digitisation]: 8,
      });
      expect(Object.keys(hn?.groups ?? {})).toEqual([
        GROUP.online,
        GROUP.progress,
        GROUP.satisfaction,
        GROUP.digitisation,
      ]);
      expect(hn?.total).toBe(56.25);
      expect(table(r)).toEqual([
        [1, 'HP', 60],
        [2, 'HN', 56.25],
        [3, 'DN', 0],
        [3, 'HCM', 0],
      ]);
    });

    it('indicatorsMet counts the indicators met; indicatorsTotal those that have a benchmark', () => {
      const rows = ranking(l, PROVINCE_METHODOLOGY, '2024').rows;
      const counts = Object.fromEntries(rows.map((r) => [r.unitId, [r.indicatorsMet, r.indicatorsTotal]]));
      // Benchmarks: online (threshold), on time, processing days, digitised (targets); satisfaction has none.
      expect(counts).toEqual({ HP: [3, 4], HN: [1, 4], DN: [0, 4], HCM: [0, 4] });
    });

    it('the ranking says which methodology, period and position it was computed for', () => {
      const r = ranking(l, PROVINCE_METHODOLOGY, '2024');
      expect(r.methodology.methodologyId).toBe(PROVINCE_METHODOLOGY);
      expect(r.methodology.version).toBe(1);
      expect(r.period).toBe('2024');
      expect(r.position).toBe(l.events.length);
    });
  });

  describe('methodology versions', () => {
    it('Given a version that applies from 2024, Then 2023 is still ranked by the earlier version', () => {
      publishSatisfactionOnly(l);
      l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2023', value: 95 });
      l.submit({ unitId: 'HN', indicator: IND.satisfaction, period: '2024', value: 95 });
      const beforeRepublication = l.events.length;
      l.later(
        60,
        cmd('methodology', {
          id: 'satisfaction-only',
          name: 'Mức độ hài lòng (sửa đổi)',
          level: 'province',
          appliesFrom: '2024',
          indicators: [{ indicator: IND.satisfaction, maxPoints: 10, rule: { kind: 'scaled', factor: 0.1 } }],
        }),
      );

      const r2023 = ranking(l, 'satisfaction-only', '2023');
      const r2024 = ranking(l, 'satisfaction-only', '2024-Q3');
      expect([r2023.methodology.version, r2023.rows[0]?.total]).toEqual([1, 18]);
      expect([r2024.methodology.version, r2024.rows[0]?.total]).toEqual([2, 0]);
      expect(ranking(l, 'satisfaction-only', '2024').rows[0]).toMatchObject({ unitId: 'HN', total: 9.5 });

      // As of before the republication, 2024 was ranked by version 1.
      const then = viewAt(l.index(), beforeRepublication);
      expect(then.methodology('satisfaction-only', '2024')?.version).toBe(1);
    });
  });

  describe('as of an instant', () => {
    it('Given a correction recorded after the end of 2024-01-31 in Hà Nội, Then the ranking as of 2024-01-31 ignores it', () => {
      publishSatisfactionOnly(l);
      const id = l.submit(
        { unitId: 'HN', indicator: IND.satisfaction, period: '2023', value: 90 },
        Date.parse('2024-01-20T03:00:00Z'),
      );
      l.submit(
        { unitId: 'HP', indicator: IND.satisfaction, period: '2023', value: 80 },
        Date.parse('2024-01-25T03:00:00Z'),
      );
      // 2024-01-31T17:30Z is 00:30 on 1 February in Hà Nội: after the as-of day.
      l.record(
        cmd('correction', { submissionId: id, value: 70, reason: 'Thanh tra phát hiện sai số liệu' }),
        Date.parse('2024-01-31T17:30:00Z'),
      );

      const index = l.index();
      const asOf = parseAsOf('2024-01-31') as number;
      const then = viewAt(index, positionAsOf(index, asOf));
      const now = viewAt(index);
      const m = methodologyOf(now, 'satisfaction-only');
      expect(table(rank(then, m, '2023')).slice(0, 2)).toEqual([
        [1, 'HN', 18],
        [2, 'HP', 16],
      ]);
      expect(table(rank(now, m, '2023')).slice(0, 2)).toEqual([
        [1, 'HP', 16],
        [2, 'HN', 14],
      ]);
    });
  });
});
