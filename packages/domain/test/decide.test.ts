import { beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../src/commands.ts';
import { decide } from '../src/decide.ts';
import { Rejection } from '../src/errors.ts';
import { createWriteState, evolveWriteState, forkWriteState, type WriteState } from '../src/write-state.ts';
import {
  catalogLedger,
  cmd,
  IND,
  pathsOf,
  registerThuaThienHue,
  rejectionOf,
  sequentialIds,
  type TestLedger,
} from './fixtures.ts';

const AUTHORITY = 'Văn phòng Chính phủ';
const UNKNOWN_SUBMISSION = '0190f0a0-0000-7000-8000-ffffffffffff';
/** The day the ledger's clock is on in these tests (T0). */
const TODAY = '2024-01-15';

describe('decide', () => {
  let l: TestLedger;
  beforeEach(() => {
    l = catalogLedger();
  });

  describe('happy paths: each command records one event on its stream', () => {
    it('unit: registers the unit with absent fields as null, existing from the day it is registered', () => {
      const d = l.decide(
        cmd('unit', { id: 'TTH', name: '  Tỉnh Thừa Thiên Huế ', level: 'province', parentId: 'VN' }),
      );
      expect(d).toEqual({
        streamId: 'unit:TTH',
        expectedRevision: -1,
        event: {
          type: 'ledger.unit-registered.v1',
          data: {
            unitId: 'TTH',
            name: 'Tỉnh Thừa Thiên Huế',
            level: 'province',
            parentId: 'VN',
            validFrom: TODAY,
            validTo: null,
            successorId: null,
          },
        },
      });
    });

    it('unit-revision: renames from a date and keeps what the command leaves out', () => {
      const d = l.decide(
        cmd('unit-revision', { unitId: 'HN', name: 'Thủ đô Hà Nội', effectiveFrom: '2025-01-01' }),
      );
      expect(d).toEqual({
        streamId: 'unit:HN',
        expectedRevision: 0,
        event: {
          type: 'ledger.unit-revised.v1',
          data: {
            unitId: 'HN',
            effectiveFrom: '2025-01-01',
            name: 'Thủ đô Hà Nội',
            parentId: 'VN',
            validTo: null,
            successorId: null,
          },
        },
      });
    });

    it('unit-revision: abolishes a unit into its successor', () => {
      const d = l.decide(cmd('unit-revision', { unitId: 'HP', validTo: '2025-06-30', successorId: 'HN' }));
      expect(d.event).toMatchObject({
        type: 'ledger.unit-revised.v1',
        data: { name: 'Thành phố Hải Phòng', validTo: '2025-06-30', successorId: 'HN', effectiveFrom: null },
      });
    });

    it('indicator: defines a new indicator, and revises an existing one', () => {
      const define = l.decide(
        cmd('indicator', {
          code: 'e-payment-rate',
          name: 'Tỷ lệ thanh toán trực tuyến',
          measure: 'percent',
          direction: 'higher-is-better',
        }),
      );
      expect(define).toEqual({
        streamId: 'indicator:e-payment-rate',
        expectedRevision: -1,
        event: {
          type: 'ledger.indicator-defined.v1',
          data: {
            code: 'e-payment-rate',
            name: 'Tỷ lệ thanh toán trực tuyến',
            measure: 'percent',
            direction: 'higher-is-better',
          },
        },
      });
      const revise = l.decide(
        cmd('indicator', {
          code: IND.online,
          name: 'Tỷ lệ hồ sơ trực tuyến toàn trình',
          measure: 'percent',
          direction: 'higher-is-better',
        }),
      );
      expect(revise).toMatchObject({
        streamId: `indicator:${IND.online}`,
        expectedRevision: 0,
        event: { type: 'ledger.indicator-revised.v1' },
      });
    });

    it('methodology: publishes version 1, and each republication increments the version', () => {
      const body = {
        id: 'qd766',
        name: 'Bộ chỉ số 766',
        level: 'province' as const,
        indicators: [
          { indicator: IND.online, maxPoints: 12, rule: { kind: 'attainment' as const, threshold: 80 } },
        ],
      };
      const first = l.record(cmd('methodology', body));
      expect(first).toMatchObject({
        streamId: 'methodology:qd766',
        revision: 0,
        type: 'ledger.methodology-published.v1',
        data: {
          methodologyId: 'qd766',
          version: 1,
          level: 'province',
          appliesFrom: null,
          indicators: [
            {
              indicator: IND.online,
              group: 'general',
              maxPoints: 12,
              rule: { kind: 'attainment', threshold: 80 },
            },
          ],
        },
      });
      const second = l.record(
        cmd('methodology', { ...body, name: 'Bộ chỉ số 766 (sửa đổi 2024)', appliesFrom: '2024' }),
      );
      expect(second).toMatchObject({
        revision: 1,
        data: { version: 2, name: 'Bộ chỉ số 766 (sửa đổi 2024)', appliesFrom: '2024' },
      });
      expect(l.decide(cmd('methodology', body)).event.data).toMatchObject({ version: 3 });
    });

    it('target: sets a general target, or a unit-specific one, on its own stream', () => {
      const general = l.decide(
        cmd('target', { indicator: IND.onTime, period: '2024', value: 95, authority: AUTHORITY }),
      );
      expect(general).toEqual({
        streamId: `target:${IND.onTime}:2024:*`,
        expectedRevision: -1,
        event: {
          type: 'ledger.target-set.v1',
          data: {
            indicator: IND.onTime,
            period: '2024',
            unitId: null,
            value: 95,
            authority: AUTHORITY,
            reason: null,
          },
        },
      });
      const own = l.decide(
        cmd('target', {
          indicator: IND.onTime,
          period: '2024-Q4',
          unitId: 'HN',
          value: 98,
          authority: 'UBND Thành phố Hà Nội',
        }),
      );
      expect(own.streamId).toBe(`target:${IND.onTime}:2024-Q4:HN`);
    });

    it('submission: records the value under a new submission id', () => {
      const d = l.decide(
        cmd('submission', {
          unitId: 'HN',
          indicator: IND.online,
          period: '2024-Q1',
          value: 87.5,
          source: 'Cổng Dịch vụ công quốc gia',
          reportedAt: '2024-04-05T09:00:00+07:00',
        }),
      );
      expect(d.submissionId).toBe('0190f0a0-0000-7000-8000-000000000001');
      expect(d).toMatchObject({
        streamId: `value:2024-Q1:HN:${IND.online}`,
        expectedRevision: -1,
        event: {
          type: 'ledger.value-submitted.v1',
          data: {
            submissionId: d.submissionId,
            unitId: 'HN',
            indicator: IND.online,
            period: '2024-Q1',
            value: 87.5,
            source: 'Cổng Dịch vụ công quốc gia',
            reportedAt: '2024-04-05T09:00:00+07:00',
          },
        },
      });
    });

    it('correction: records the new value and the one it replaces', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
      const d = l.decide(
        cmd('correction', { submissionId: id, value: 78.5, reason: 'Loại trừ hồ sơ trùng' }),
      );
      expect(d).toEqual({
        streamId: `value:2024:HN:${IND.online}`,
        expectedRevision: 0,
        event: {
          type: 'ledger.value-corrected.v1',
          data: {
            submissionId: id,
            unitId: 'HN',
            indicator: IND.online,
            period: '2024',
            value: 78.5,
            previousValue: 87.5,
            reason: 'Loại trừ hồ sơ trùng',
          },
        },
      });
    });

    it('correction: a second correction replaces the corrected value', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
      l.record(cmd('correction', { submissionId: id, value: 78.5, reason: 'Loại trừ hồ sơ trùng' }));
      const d = l.decide(
        cmd('correction', { submissionId: id, value: 80, reason: 'Bổ sung hồ sơ', expectedRevision: 1 }),
      );
      expect(d).toMatchObject({ expectedRevision: 1, event: { data: { value: 80, previousValue: 78.5 } } });
    });

    it('retraction: withdraws the submission', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
      const d = l.decide(cmd('retraction', { submissionId: id, reason: 'Nộp nhầm kỳ báo cáo' }));
      expect(d).toEqual({
        streamId: `value:2024:HN:${IND.online}`,
        expectedRevision: 0,
        event: {
          type: 'ledger.submission-retracted.v1',
          data: {
            submissionId: id,
            unitId: 'HN',
            indicator: IND.online,
            period: '2024',
            reason: 'Nộp nhầm kỳ báo cáo',
          },
        },
      });
    });
  });

  describe('rejections', () => {
    const expectRejection = (run: () => unknown, kind: Rejection['kind'], paths: string[]) => {
      const r = rejectionOf(run);
      expect(r.kind).toBe(kind);
      expect(pathsOf(r)).toEqual(paths);
      return r;
    };

    describe('unknown references', () => {
      it.each([
        [
          'submission for an unknown unit',
          cmd('submission', { unitId: 'XX', indicator: IND.online, period: '2024', value: 50 }),
          'unitId',
        ],
        [
          'submission of an unknown indicator',
          cmd('submission', { unitId: 'HN', indicator: 'nope', period: '2024', value: 50 }),
          'indicator',
        ],
        [
          'target for an unknown indicator',
          cmd('target', { indicator: 'nope', period: '2024', value: 50, authority: AUTHORITY }),
          'indicator',
        ],
        [
          'target for an unknown unit',
          cmd('target', {
            indicator: IND.online,
            period: '2024',
            unitId: 'XX',
            value: 50,
            authority: AUTHORITY,
          }),
          'unitId',
        ],
        [
          'unit under an unknown parent',
          cmd('unit', {
            id: 'HN-BD',
            validFrom: '2000-01-01',
            name: 'Quận Ba Đình',
            level: 'district',
            parentId: 'XX',
          }),
          'parentId',
        ],
        [
          'unit with an unknown successor',
          cmd('unit', {
            id: 'HT',
            validFrom: '2000-01-01',
            name: 'Tỉnh Hà Tây',
            level: 'province',
            successorId: 'XX',
          }),
          'successorId',
        ],
        [
          'revision moving a unit under an unknown parent',
          cmd('unit-revision', { unitId: 'HN', parentId: 'XX' }),
          'parentId',
        ],
        [
          'methodology listing an unknown indicator',
          cmd('methodology', {
            id: 'm',
            name: 'M',
            level: 'province',
            indicators: [
              { indicator: IND.online, rule: { kind: 'scaled', factor: 1 } },
              { indicator: 'nope', rule: { kind: 'scaled', factor: 1 } },
            ],
          }),
          'indicators.1.indicator',
        ],
      ] satisfies [string, Command, string][])('%s → unknown-reference at %s', (_, command, path) => {
        expectRejection(() => l.decide(command), 'unknown-reference', [path]);
      });

      it('Given a unit that did not exist during the period, Then a submission for it is an unknown reference at period', () => {
        l.record(
          cmd('unit', {
            id: 'HT',
            validFrom: '2000-01-01',
            name: 'Tỉnh Hà Tây',
            level: 'province',
            validTo: '2008-07-31',
            successorId: 'HN',
          }),
        );
        l.record(
          cmd('unit', { id: 'DNO', name: 'Tỉnh Đắk Nông', level: 'province', validFrom: '2004-01-01' }),
        );
        const r = expectRejection(
          () =>
            l.decide(
              cmd('submission', { unitId: 'HT', indicator: IND.online, period: '2008-Q4', value: 50 }),
            ),
          'unknown-reference',
          ['period'],
        );
        expect(r.message).toMatch(/HT did not exist during 2008-Q4/);
        expectRejection(
          () =>
            l.decide(cmd('submission', { unitId: 'DNO', indicator: IND.online, period: '2003', value: 50 })),
          'unknown-reference',
          ['period'],
        );
        // …but the periods in which it existed, even in part, are accepted.
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HT', indicator: IND.online, period: '2008', value: 50 })),
        ).not.toThrow();
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HT', indicator: IND.online, period: '2008-07', value: 50 })),
        ).not.toThrow();
        expect(() =>
          l.decide(cmd('submission', { unitId: 'DNO', indicator: IND.online, period: '2004-01', value: 50 })),
        ).not.toThrow();
      });
    });

    describe('conflicts', () => {
      it('Given a registered unit, When it is registered again, Then conflict at id', () => {
        expectRejection(
          () =>
            l.decide(cmd('unit', { id: 'HN', validFrom: '2000-01-01', name: 'Hà Nội', level: 'province' })),
          'conflict',
          ['id'],
        );
      });

      it('Given an active submission, When the same unit/indicator/period is submitted again, Then conflict at period', () => {
        const first = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        const r = expectRejection(
          () =>
            l.decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value: 90 })),
          'conflict',
          ['period'],
        );
        expect(r.message).toContain(first);
        // Other periods, indicators and units are independent.
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024-Q4', value: 90 })),
        ).not.toThrow();
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HN', indicator: IND.onTime, period: '2024', value: 90 })),
        ).not.toThrow();
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HP', indicator: IND.online, period: '2024', value: 90 })),
        ).not.toThrow();
      });

      it('Given a retracted submission, When the value is submitted again, Then it is accepted on the same stream', () => {
        const first = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        l.record(cmd('retraction', { submissionId: first, reason: 'Nộp nhầm' }));
        const d = l.decide(
          cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value: 90 }),
        );
        expect(d.submissionId).not.toBe(first);
        expect(d).toMatchObject({ streamId: `value:2024:HN:${IND.online}`, expectedRevision: 1 });
      });

      it('Given a retracted submission, When it is corrected or retracted again, Then conflict at submissionId', () => {
        const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        l.record(cmd('retraction', { submissionId: id, reason: 'Nộp nhầm' }));
        expectRejection(
          () => l.decide(cmd('correction', { submissionId: id, value: 80, reason: 'Sửa' })),
          'conflict',
          ['submissionId'],
        );
        expectRejection(
          () => l.decide(cmd('retraction', { submissionId: id, reason: 'Nộp nhầm' })),
          'conflict',
          ['submissionId'],
        );
      });

      it('Given a stale expectedRevision, Then conflict at expectedRevision', () => {
        const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        l.record(cmd('correction', { submissionId: id, value: 80, reason: 'Sửa lần 1' }));
        expectRejection(
          () =>
            l.decide(
              cmd('correction', { submissionId: id, value: 82, reason: 'Sửa lần 2', expectedRevision: 0 }),
            ),
          'conflict',
          ['expectedRevision'],
        );
        expectRejection(
          () => l.decide(cmd('unit-revision', { unitId: 'HN', name: 'Hà Nội', expectedRevision: 3 })),
          'conflict',
          ['expectedRevision'],
        );
        expectRejection(
          () =>
            l.decide(
              cmd('indicator', {
                code: IND.online,
                name: 'x',
                measure: 'percent',
                direction: 'higher-is-better',
                expectedRevision: -1,
              }),
            ),
          'conflict',
          ['expectedRevision'],
        );
        // The current revision is accepted.
        expect(() =>
          l.decide(cmd('unit-revision', { unitId: 'HN', name: 'Hà Nội', expectedRevision: 0 })),
        ).not.toThrow();
      });
    });

    describe('unknown submissions', () => {
      it('Given a correction naming an unknown submission in its body, Then unknown-reference at submissionId', () => {
        expectRejection(
          () => l.decide(cmd('correction', { submissionId: UNKNOWN_SUBMISSION, value: 80, reason: 'Sửa' })),
          'unknown-reference',
          ['submissionId'],
        );
        expectRejection(
          () => l.decide(cmd('retraction', { submissionId: UNKNOWN_SUBMISSION, reason: 'Rút' })),
          'unknown-reference',
          ['submissionId'],
        );
      });

      it('Given the submission is addressed by the URL path, Then not-found', () => {
        const r = rejectionOf(() =>
          l.decide(cmd('correction', { submissionId: UNKNOWN_SUBMISSION, value: 80, reason: 'Sửa' }), {
            submissionAddressedBy: 'path',
          }),
        );
        expect(r.kind).toBe('not-found');
        expect(
          rejectionOf(() =>
            l.decide(cmd('retraction', { submissionId: UNKNOWN_SUBMISSION, reason: 'Rút' }), {
              submissionAddressedBy: 'path',
            }),
          ).kind,
        ).toBe('not-found');
      });

      it('Given a revision of an unknown unit, Then not-found', () => {
        expect(rejectionOf(() => l.decide(cmd('unit-revision', { unitId: 'XX', name: 'X' }))).kind).toBe(
          'not-found',
        );
      });
    });

    describe('invalid values', () => {
      it.each([-0.1, 100.5, 250])('a percentage of %d → invalid at value', (value) => {
        expectRejection(
          () => l.decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value })),
          'invalid',
          ['value'],
        );
      });

      it.each([0, 100])('a percentage of %d is accepted', (value) => {
        expect(() =>
          l.decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value })),
        ).not.toThrow();
      });

      it('checks targets and corrections against the measure too', () => {
        expectRejection(
          () =>
            l.decide(
              cmd('target', { indicator: IND.online, period: '2024', value: 120, authority: AUTHORITY }),
            ),
          'invalid',
          ['value'],
        );
        const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        expectRejection(
          () => l.decide(cmd('correction', { submissionId: id, value: 101, reason: 'Sửa' })),
          'invalid',
          ['value'],
        );
      });

      it('a count must be a whole number ≥ 0; a ratio must be ≥ 0', () => {
        for (const value of [2.5, -1])
          expectRejection(
            () =>
              l.decide(cmd('submission', { unitId: 'HN', indicator: IND.overdue, period: '2024', value })),
            'invalid',
            ['value'],
          );
        expectRejection(
          () =>
            l.decide(
              cmd('submission', { unitId: 'HN', indicator: IND.processingDays, period: '2024', value: -3 }),
            ),
          'invalid',
          ['value'],
        );
        expect(() =>
          l.decide(
            cmd('submission', { unitId: 'HN', indicator: IND.processingDays, period: '2024', value: 3.7 }),
          ),
        ).not.toThrow();
      });

      it('a correction to the value already in force → invalid at value', () => {
        const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
        expectRejection(
          () => l.decide(cmd('correction', { submissionId: id, value: 87.5, reason: 'Sửa' })),
          'invalid',
          ['value'],
        );
      });

      it('a methodology listing the same indicator twice → invalid at the second listing', () => {
        const r = expectRejection(
          () =>
            l.decide(
              cmd('methodology', {
                id: 'm',
                name: 'M',
                level: 'province',
                indicators: [
                  { indicator: IND.online, maxPoints: 12, rule: { kind: 'attainment', threshold: 80 } },
                  { indicator: IND.onTime, maxPoints: 20, rule: { kind: 'attainment' } },
                  { indicator: IND.online, group: 'Khác', rule: { kind: 'scaled', factor: 0.1 } },
                ],
              }),
            ),
          'invalid',
          ['indicators.2.indicator'],
        );
        expect(r.message).toMatch(/listed twice/);
      });

      it('a unit whose validTo is before its validFrom → invalid at validTo', () => {
        expectRejection(
          () =>
            l.decide(
              cmd('unit', {
                id: 'X',
                name: 'X',
                level: 'province',
                validFrom: '2024-01-01',
                validTo: '2023-12-31',
              }),
            ),
          'invalid',
          ['validTo'],
        );
        l.record(cmd('unit', { id: 'NEW', name: 'Tỉnh Mới', level: 'province', validFrom: '2024-07-01' }));
        expectRejection(
          () => l.decide(cmd('unit-revision', { unitId: 'NEW', validTo: '2024-06-30' })),
          'invalid',
          ['validTo'],
        );
      });
    });

    it('a batch places field paths under the item', () => {
      const r = rejectionOf(() =>
        l.decide(cmd('submission', { unitId: 'XX', indicator: IND.online, period: '2024', value: 1 })),
      );
      expect(pathsOf(r.under('items.3'))).toEqual(['items.3.unitId']);
      expect(r.under('items.3').kind).toBe('unknown-reference');
    });
  });

  describe('a batch decides against a fork of the write state', () => {
    it('Given a fork, Then later commands see earlier ones, and nothing leaks into the base', () => {
      const base = l.state;
      const fork = forkWriteState(base);
      const newId = sequentialIds('0190f0b0-0000-7000-8000');
      const run = (state: WriteState, command: Command) => {
        const d = decide(command, state, { newId, today: TODAY });
        evolveWriteState(state, d.streamId, d.event);
        return d;
      };

      run(fork, registerThuaThienHue());
      const submitted = run(
        fork,
        cmd('submission', { unitId: 'TTH', indicator: IND.online, period: '2024', value: 70 }),
      );
      const id = submitted.submissionId as string;
      run(fork, cmd('correction', { submissionId: id, value: 72, reason: 'Sửa' }));
      run(fork, cmd('unit-revision', { unitId: 'HN', name: 'Thủ đô Hà Nội', effectiveFrom: '2025-01-01' }));

      // The fork sees its own writes…
      expect(fork.units.has('TTH')).toBe(true);
      expect(fork.submissions.get(id)?.value).toBe(72);
      expect(fork.units.get('HN')?.name).toBe('Thủ đô Hà Nội');
      expect(fork.revisions.get('unit:HN')).toBe(1);
      // …and the base, which the batch was not recorded to, sees none of them.
      expect(base.units.has('TTH')).toBe(false);
      expect(base.submissions.has(id)).toBe(false);
      expect(base.units.get('HN')?.name).toBe('Thành phố Hà Nội');
      expect(base.revisions.get('unit:HN')).toBe(0);
      expect(
        rejectionOf(() =>
          decide(
            cmd('submission', { unitId: 'TTH', indicator: IND.online, period: '2024', value: 70 }),
            base,
            { newId, today: TODAY },
          ),
        ).kind,
      ).toBe('unknown-reference');
      expect(() =>
        decide(
          cmd('unit', { id: 'TTH', validFrom: '2000-01-01', name: 'Tỉnh Thừa Thiên Huế', level: 'province' }),
          base,
          {
            newId,
            today: TODAY,
          },
        ),
      ).not.toThrow();
    });

    it('Given a retraction in a fork, Then the base still holds the submission active', () => {
      const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 87.5 });
      const fork = forkWriteState(l.state);
      const d = decide(cmd('retraction', { submissionId: id, reason: 'Rút' }), fork, {
        newId: l.newId,
        today: TODAY,
      });
      evolveWriteState(fork, d.streamId, d.event);
      expect(() =>
        decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value: 90 }), fork, {
          newId: l.newId,
          today: TODAY,
        }),
      ).not.toThrow();
      expect(
        rejectionOf(() =>
          l.decide(cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value: 90 })),
        ).kind,
      ).toBe('conflict');
      expect(l.state.submissions.get(id)?.retracted).toBe(false);
    });

    it('a fresh write state knows nothing', () => {
      const state = createWriteState();
      expect(
        rejectionOf(() =>
          decide(
            cmd('submission', { unitId: 'HN', indicator: IND.online, period: '2024', value: 1 }),
            state,
            { newId: sequentialIds(), today: TODAY },
          ),
        ).kind,
      ).toBe('unknown-reference');
    });
  });
});

// Rejection is a real Error, so callers that log errors keep its message and stack.
it('Rejection is an Error', () => {
  expect(new Rejection('invalid', 'x')).toBeInstanceOf(Error);
});
