import { describe, expect, it } from 'vitest';
import type { Command } from '../src/commands.ts';
import { decide } from '../src/decide.ts';
import { Rejection } from '../src/errors.ts';
import { evolveWriteState, forkWriteState, type WriteState } from '../src/write-state.ts';
import { cmd, IND, pathsOf, registerThuaThienHue, sequentialIds, TestLedger } from './fixtures.ts';
import { given, givenOn } from './given-when-then.ts';

/**
 * What `decide` records for each command, and what it refuses. Every Given starts from the catalog
 * ledger (the national unit, four provinces and the Decision 766 indicators), on 2024-01-15.
 * Titles are behaviour sentences, grouped by the command they are about.
 */

const AUTHORITY = 'Văn phòng Chính phủ';
const UNKNOWN_SUBMISSION = '0190f0a0-0000-7000-8000-ffffffffffff';
/** The id the ledger gives the first submission it decides. */
const FIRST_SUBMISSION = '0190f0a0-0000-7000-8000-000000000001';
/** The day the ledger's clock is on in these tests (T0). */
const TODAY = '2024-01-15';

/** Hà Nội's online-service rate (a percentage) for 2024: where most tests submit, correct and retract. */
const HN_ONLINE_2024 = { unitId: 'HN', indicator: IND.online, period: '2024' } as const;
type ValueKey = { unitId?: string; indicator?: string; period?: string };

const submission = (value: number, key: ValueKey = {}): Command =>
  cmd('submission', { ...HN_ONLINE_2024, ...key, value });
const correction = (
  submissionId: string,
  value: number,
  more: { reason?: string; expectedRevision?: number } = {},
): Command => cmd('correction', { submissionId, value, reason: 'Sửa', ...more });
const retraction = (submissionId: string, reason = 'Nộp nhầm'): Command =>
  cmd('retraction', { submissionId, reason });

describe('decide', () => {
  describe('unit', () => {
    it('registers the unit with absent fields as null, existing from the day it is registered', () => {
      given()
        .when(cmd('unit', { id: 'TTH', name: '  Tỉnh Thừa Thiên Huế ', level: 'province', parentId: 'VN' }))
        .thenDecides({
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

    it('refuses a unit that is already registered', () => {
      given()
        .when(cmd('unit', { id: 'HN', validFrom: '2000-01-01', name: 'Hà Nội', level: 'province' }))
        .thenRejects('conflict', 'id');
    });

    it('refuses a unit under an unknown parent', () => {
      given()
        .when(
          cmd('unit', {
            id: 'HN-BD',
            validFrom: '2000-01-01',
            name: 'Quận Ba Đình',
            level: 'district',
            parentId: 'XX',
          }),
        )
        .thenRejects('unknown-reference', 'parentId');
    });

    it('refuses a unit with an unknown successor', () => {
      given()
        .when(
          cmd('unit', {
            id: 'HT',
            validFrom: '2000-01-01',
            name: 'Tỉnh Hà Tây',
            level: 'province',
            successorId: 'XX',
          }),
        )
        .thenRejects('unknown-reference', 'successorId');
    });

    it('refuses a unit whose validTo is before its validFrom', () => {
      given()
        .when(
          cmd('unit', {
            id: 'X',
            name: 'X',
            level: 'province',
            validFrom: '2024-01-01',
            validTo: '2023-12-31',
          }),
        )
        .thenRejects('invalid', 'validTo');
    });
  });

  describe('unit-revision', () => {
    it('renames a unit from a date and keeps what the command leaves out', () => {
      given()
        .when(cmd('unit-revision', { unitId: 'HN', name: 'Thủ đô Hà Nội', effectiveFrom: '2025-01-01' }))
        .thenDecides({
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

    it('abolishes a unit into its successor', () => {
      given()
        .when(cmd('unit-revision', { unitId: 'HP', validTo: '2025-06-30', successorId: 'HN' }))
        .thenMatches({
          event: {
            type: 'ledger.unit-revised.v1',
            data: {
              name: 'Thành phố Hải Phòng',
              validTo: '2025-06-30',
              successorId: 'HN',
              effectiveFrom: null,
            },
          },
        });
    });

    it('refuses a revision of an unknown unit as not found', () => {
      given()
        .when(cmd('unit-revision', { unitId: 'XX', name: 'X' }))
        .thenRejects('not-found');
    });

    it('refuses to move a unit under an unknown parent', () => {
      given()
        .when(cmd('unit-revision', { unitId: 'HN', parentId: 'XX' }))
        .thenRejects('unknown-reference', 'parentId');
    });

    it('refuses a validTo before the unit’s validFrom', () => {
      given(cmd('unit', { id: 'NEW', name: 'Tỉnh Mới', level: 'province', validFrom: '2024-07-01' }))
        .when(cmd('unit-revision', { unitId: 'NEW', validTo: '2024-06-30' }))
        .thenRejects('invalid', 'validTo');
    });

    it('refuses a stale expectedRevision, and accepts the current one', () => {
      const g = given();
      g.when(cmd('unit-revision', { unitId: 'HN', name: 'Hà Nội', expectedRevision: 3 })).thenRejects(
        'conflict',
        'expectedRevision',
      );
      g.when(cmd('unit-revision', { unitId: 'HN', name: 'Hà Nội', expectedRevision: 0 })).thenAccepts();
    });
  });

  describe('indicator', () => {
    it('defines a new indicator', () => {
      given()
        .when(
          cmd('indicator', {
            code: 'e-payment-rate',
            name: 'Tỷ lệ thanh toán trực tuyến',
            measure: 'percent',
            direction: 'higher-is-better',
          }),
        )
        .thenDecides({
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
    });

    it('revises an indicator that is already defined', () => {
      given()
        .when(
          cmd('indicator', {
            code: IND.online,
            name: 'Tỷ lệ hồ sơ trực tuyến toàn trình',
            measure: 'percent',
            direction: 'higher-is-better',
          }),
        )
        .thenMatches({
          streamId: `indicator:${IND.online}`,
          expectedRevision: 0,
          event: { type: 'ledger.indicator-revised.v1' },
        });
    });

    it('refuses a stale expectedRevision', () => {
      given()
        .when(
          cmd('indicator', {
            code: IND.online,
            name: 'x',
            measure: 'percent',
            direction: 'higher-is-better',
            expectedRevision: -1,
          }),
        )
        .thenRejects('conflict', 'expectedRevision');
    });
  });

  describe('methodology', () => {
    it('publishes version 1, and each republication increments the version', () => {
      const body = {
        id: 'qd766',
        name: 'Bộ chỉ số 766',
        level: 'province' as const,
        indicators: [
          { indicator: IND.online, maxPoints: 12, rule: { kind: 'attainment' as const, threshold: 80 } },
        ],
      };
      given()
        .when(
          cmd('methodology', body),
          cmd('methodology', { ...body, name: 'Bộ chỉ số 766 (sửa đổi 2024)', appliesFrom: '2024' }),
          cmd('methodology', body),
        )
        .thenMatches(
          {
            streamId: 'methodology:qd766',
            expectedRevision: -1,
            event: {
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
            },
          },
          {
            expectedRevision: 0,
            event: { data: { version: 2, name: 'Bộ chỉ số 766 (sửa đổi 2024)', appliesFrom: '2024' } },
          },
          { expectedRevision: 1, event: { data: { version: 3 } } },
        );
    });

    it('refuses a methodology listing an unknown indicator', () => {
      given()
        .when(
          cmd('methodology', {
            id: 'm',
            name: 'M',
            level: 'province',
            indicators: [
              { indicator: IND.online, rule: { kind: 'scaled', factor: 1 } },
              { indicator: 'nope', rule: { kind: 'scaled', factor: 1 } },
            ],
          }),
        )
        .thenRejects('unknown-reference', 'indicators.1.indicator');
    });

    it('refuses a methodology listing the same indicator twice, at the second listing', () => {
      given()
        .when(
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
        )
        .thenRejects('invalid', 'indicators.2.indicator', /listed twice/);
    });
  });

  describe('target', () => {
    it('sets a general target on its own stream', () => {
      given()
        .when(cmd('target', { indicator: IND.onTime, period: '2024', value: 95, authority: AUTHORITY }))
        .thenDecides({
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
    });

    it('sets a unit’s own target on a stream of its own', () => {
      given()
        .when(
          cmd('target', {
            indicator: IND.onTime,
            period: '2024-Q4',
            unitId: 'HN',
            value: 98,
            authority: 'UBND Thành phố Hà Nội',
          }),
        )
        .thenMatches({ streamId: `target:${IND.onTime}:2024-Q4:HN` });
    });

    it('refuses a target for an unknown indicator', () => {
      given()
        .when(cmd('target', { indicator: 'nope', period: '2024', value: 50, authority: AUTHORITY }))
        .thenRejects('unknown-reference', 'indicator');
    });

    it('refuses a target for an unknown unit', () => {
      given()
        .when(
          cmd('target', {
            indicator: IND.online,
            period: '2024',
            unitId: 'XX',
            value: 50,
            authority: AUTHORITY,
          }),
        )
        .thenRejects('unknown-reference', 'unitId');
    });

    it('refuses a target the indicator’s measure does not allow', () => {
      given()
        .when(cmd('target', { indicator: IND.online, period: '2024', value: 120, authority: AUTHORITY }))
        .thenRejects('invalid', 'value');
    });
  });

  describe('submission', () => {
    it('records the value under a new submission id', () => {
      given()
        .when(
          cmd('submission', {
            unitId: 'HN',
            indicator: IND.online,
            period: '2024-Q1',
            value: 87.5,
            source: 'Cổng Dịch vụ công quốc gia',
            reportedAt: '2024-04-05T09:00:00+07:00',
          }),
        )
        .thenDecides({
          streamId: `value:2024-Q1:HN:${IND.online}`,
          expectedRevision: -1,
          submissionId: FIRST_SUBMISSION,
          event: {
            type: 'ledger.value-submitted.v1',
            data: {
              submissionId: FIRST_SUBMISSION,
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

    it('refuses a submission for an unknown unit', () => {
      given()
        .when(submission(50, { unitId: 'XX' }))
        .thenRejects('unknown-reference', 'unitId');
    });

    it('refuses a submission of an unknown indicator', () => {
      given()
        .when(submission(50, { indicator: 'nope' }))
        .thenRejects('unknown-reference', 'indicator');
    });

    it('refuses a submission to an empty ledger, which knows no unit', () => {
      givenOn(new TestLedger()).when(submission(1)).thenRejects('unknown-reference', 'unitId');
    });

    /** Hà Tây, merged into Hà Nội on 2008-08-01, and Đắk Nông, established on 2004-01-01. */
    const givenHaTayAndDakNong = () =>
      given(
        cmd('unit', {
          id: 'HT',
          validFrom: '2000-01-01',
          name: 'Tỉnh Hà Tây',
          level: 'province',
          validTo: '2008-07-31',
          successorId: 'HN',
        }),
        cmd('unit', { id: 'DNO', name: 'Tỉnh Đắk Nông', level: 'province', validFrom: '2004-01-01' }),
      );

    it('refuses a submission for a period in which the unit did not exist, as an unknown reference', () => {
      const g = givenHaTayAndDakNong();
      g.when(submission(50, { unitId: 'HT', period: '2008-Q4' })).thenRejects(
        'unknown-reference',
        'period',
        /HT did not exist during 2008-Q4/,
      );
      g.when(submission(50, { unitId: 'DNO', period: '2003' })).thenRejects('unknown-reference', 'period');
    });

    it.each([
      ['HT', '2008'],
      ['HT', '2008-07'],
      ['DNO', '2004-01'],
    ])(
      'accepts a submission for %s in %s, a period in which the unit existed, even in part',
      (unitId, period) => {
        givenHaTayAndDakNong().when(submission(50, { unitId, period })).thenAccepts();
      },
    );

    it('refuses a second submission of a value that has an active one, naming it', () => {
      const g = given(submission(87.5));
      g.when(submission(90)).thenRejects('conflict', 'period', g.submission());
    });

    it.each([
      ['period', { period: '2024-Q4' }],
      ['indicator', { indicator: IND.onTime }],
      ['unit', { unitId: 'HP' }],
    ] satisfies [string, ValueKey][])(
      'accepts a value of another %s beside an active submission',
      (_, key) => {
        given(submission(87.5)).when(submission(90, key)).thenAccepts();
      },
    );

    it('accepts the value again once its submission is retracted, on the same stream', () => {
      const g = given(submission(87.5), (s) => retraction(s.submission()));
      const [d] = g
        .when(submission(90))
        .thenMatches({ streamId: `value:2024:HN:${IND.online}`, expectedRevision: 1 });
      expect(d?.submissionId).not.toBe(g.submission());
    });

    it.each([-0.1, 100.5, 250])('refuses a percentage of %d', (value) => {
      given().when(submission(value)).thenRejects('invalid', 'value');
    });

    it.each([0, 100])('accepts a percentage of %d', (value) => {
      given().when(submission(value)).thenAccepts();
    });

    it.each([2.5, -1])('refuses a count of %d, which is not a whole number ≥ 0', (value) => {
      given()
        .when(submission(value, { indicator: IND.overdue }))
        .thenRejects('invalid', 'value');
    });

    it('refuses a negative ratio, and accepts a fractional one', () => {
      const g = given();
      g.when(submission(-3, { indicator: IND.processingDays })).thenRejects('invalid', 'value');
      g.when(submission(3.7, { indicator: IND.processingDays })).thenAccepts();
    });
  });

  describe('correction', () => {
    it('records the new value and the one it replaces', () => {
      const g = given(submission(87.5));
      g.when((s) => correction(s.submission(), 78.5, { reason: 'Loại trừ hồ sơ trùng' })).thenDecides({
        streamId: `value:2024:HN:${IND.online}`,
        expectedRevision: 0,
        event: {
          type: 'ledger.value-corrected.v1',
          data: {
            submissionId: g.submission(),
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

    it('replaces the corrected value on a second correction', () => {
      given(submission(87.5), (s) => correction(s.submission(), 78.5, { reason: 'Loại trừ hồ sơ trùng' }))
        .when((s) => correction(s.submission(), 80, { reason: 'Bổ sung hồ sơ', expectedRevision: 1 }))
        .thenMatches({ expectedRevision: 1, event: { data: { value: 80, previousValue: 78.5 } } });
    });

    it('refuses a correction of a retracted submission', () => {
      given(submission(87.5), (s) => retraction(s.submission()))
        .when((s) => correction(s.submission(), 80))
        .thenRejects('conflict', 'submissionId');
    });

    it('refuses a stale expectedRevision', () => {
      given(submission(87.5), (s) => correction(s.submission(), 80, { reason: 'Sửa lần 1' }))
        .when((s) => correction(s.submission(), 82, { reason: 'Sửa lần 2', expectedRevision: 0 }))
        .thenRejects('conflict', 'expectedRevision');
    });

    it('refuses a value the indicator’s measure does not allow', () => {
      given(submission(87.5))
        .when((s) => correction(s.submission(), 101))
        .thenRejects('invalid', 'value');
    });

    it('refuses the value already in force', () => {
      given(submission(87.5))
        .when((s) => correction(s.submission(), 87.5))
        .thenRejects('invalid', 'value');
    });

    it('refuses an unknown submission named in the body, as an unknown reference', () => {
      given().when(correction(UNKNOWN_SUBMISSION, 80)).thenRejects('unknown-reference', 'submissionId');
    });

    it('refuses an unknown submission addressed by the URL path, as not found', () => {
      given()
        .when(correction(UNKNOWN_SUBMISSION, 80))
        .withContext({ submissionAddressedBy: 'path' })
        .thenRejects('not-found');
    });
  });

  describe('retraction', () => {
    it('withdraws the submission', () => {
      const g = given(submission(87.5));
      g.when((s) => retraction(s.submission(), 'Nộp nhầm kỳ báo cáo')).thenDecides({
        streamId: `value:2024:HN:${IND.online}`,
        expectedRevision: 0,
        event: {
          type: 'ledger.submission-retracted.v1',
          data: {
            submissionId: g.submission(),
            unitId: 'HN',
            indicator: IND.online,
            period: '2024',
            reason: 'Nộp nhầm kỳ báo cáo',
          },
        },
      });
    });

    it('refuses to retract a submission that is already retracted', () => {
      given(submission(87.5), (s) => retraction(s.submission()))
        .when((s) => retraction(s.submission()))
        .thenRejects('conflict', 'submissionId');
    });

    it('refuses an unknown submission named in the body, as an unknown reference', () => {
      given().when(retraction(UNKNOWN_SUBMISSION, 'Rút')).thenRejects('unknown-reference', 'submissionId');
    });

    it('refuses an unknown submission addressed by the URL path, as not found', () => {
      given()
        .when(retraction(UNKNOWN_SUBMISSION, 'Rút'))
        .withContext({ submissionAddressedBy: 'path' })
        .thenRejects('not-found');
    });
  });

  describe('a batch, decided against a fork of the write state', () => {
    it('lets later commands see earlier ones, and leaks nothing into the base', () => {
      const g = given();
      const base = g.ledger.state;
      const fork = forkWriteState(base);
      const newId = sequentialIds('0190f0b0-0000-7000-8000');
      const run = (state: WriteState, command: Command) => {
        const d = decide(command, state, { newId, today: TODAY });
        evolveWriteState(state, d.streamId, d.event);
        return d;
      };

      run(fork, registerThuaThienHue());
      const id = run(fork, submission(70, { unitId: 'TTH' })).submissionId as string;
      run(fork, correction(id, 72));
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
      g.when(submission(70, { unitId: 'TTH' })).thenRejects('unknown-reference', 'unitId');
      g.when(
        cmd('unit', { id: 'TTH', validFrom: '2000-01-01', name: 'Tỉnh Thừa Thiên Huế', level: 'province' }),
      ).thenAccepts();
    });

    it('keeps a submission the batch retracts active in the base', () => {
      const g = given(submission(87.5));
      // In the batch, the retraction frees the value for a new submission…
      g.when((s) => retraction(s.submission(), 'Rút'), submission(90)).thenAccepts();
      // …but the base still holds the first one active.
      g.when(submission(90)).thenRejects('conflict', 'period');
      expect(g.ledger.state.submissions.get(g.submission())?.retracted).toBe(false);
    });
  });
});

describe('Rejection', () => {
  it('is an Error, so callers that log errors keep its message and stack', () => {
    expect(new Rejection('invalid', 'x')).toBeInstanceOf(Error);
  });

  it('places its field paths under a batch item, keeping its kind', () => {
    const r = given()
      .when(submission(1, { unitId: 'XX' }))
      .thenRejects('unknown-reference', 'unitId');
    expect(pathsOf(r.under('items.3'))).toEqual(['items.3.unitId']);
    expect(r.under('items.3').kind).toBe('unknown-reference');
  });
});
