import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueKey } from '../src/keys.ts';
import { streams } from '../src/streams.ts';
import { createWriteState, evolveWriteState, type WriteState } from '../src/write-state.ts';

/** A reference write state without value cells: every entry a string or object in a Map. */
const inMaps = (): WriteState => ({
  revisions: new Map(),
  units: new Map(),
  indicators: new Map(),
  methodologies: new Map(),
  submissions: new Map(),
  active: new Map(),
  principals: new Map(),
  grantOwners: new Map(),
  keyOwners: new Map(),
  identities: new Map(),
});

const UNITS = ['747', '748', 'xa-phuoc-hoa'];
const INDICATORS = ['on-time', 'satisfaction'];
const PERIODS = ['2023', '2023-Q4', '2024-01'];

type Step =
  | { kind: 'submit'; unit: number; indicator: number; period: number; value: number; id: string }
  | { kind: 'correct' | 'retract'; pick: number; value: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('submit' as const),
    unit: fc.nat(UNITS.length - 1),
    indicator: fc.nat(INDICATORS.length - 1),
    period: fc.nat(PERIODS.length - 1),
    value: fc.double({ min: 0, max: 100, noNaN: true }),
    // Mostly the ledger's own ids; also an upper-case UUID and an id that is no UUID at all, as an
    // imported log may hold: both must come back exactly as written.
    id: fc.oneof(
      { weight: 8, arbitrary: fc.uuid({ version: 7 }) },
      { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
      { weight: 1, arbitrary: fc.stringMatching(/^sub-[a-z0-9]{1,12}$/) },
    ),
  }),
  fc.record({
    kind: fc.constantFrom('correct' as const, 'retract' as const),
    pick: fc.nat(),
    value: fc.double({ min: 0, max: 100, noNaN: true }),
  }),
);

/** Folds the steps into a state as the write model would fold the events they stand for. */
function fold(state: WriteState, steps: readonly Step[]): string[] {
  const ids: string[] = [];
  evolveWriteState(state, streams.unit('747'), { type: 'some.other-event.v1', data: {} });
  for (const s of steps) {
    if (s.kind === 'submit') {
      const data = {
        submissionId: s.id,
        unitId: UNITS[s.unit] as string,
        indicator: INDICATORS[s.indicator] as string,
        period: PERIODS[s.period] as string,
        value: s.value,
      };
      ids.push(s.id);
      evolveWriteState(state, streams.value(data.unitId, data.indicator, data.period), {
        type: 'ledger.value-submitted.v1',
        data,
      });
      continue;
    }
    const id = ids[s.pick % Math.max(1, ids.length)];
    const found = id === undefined ? undefined : state.submissions.get(id);
    if (!found) continue;
    const stream = streams.value(found.unitId, found.indicator, found.period);
    const ref = { submissionId: found.submissionId, unitId: found.unitId, indicator: found.indicator };
    evolveWriteState(
      state,
      stream,
      s.kind === 'correct'
        ? { type: 'ledger.value-corrected.v1', data: { ...ref, period: found.period, value: s.value } }
        : { type: 'ledger.submission-retracted.v1', data: { ...ref, period: found.period } },
    );
  }
  evolveWriteState(state, streams.score('cchc', '2023', '747'), {
    type: 'ledger.score-computed.v1',
    data: {},
  });
  return ids;
}

/** Every answer decide can ask of a state about these values. */
function answers(state: WriteState, ids: readonly string[]) {
  const keys = UNITS.flatMap((u) => INDICATORS.flatMap((i) => PERIODS.map((p) => [u, i, p] as const)));
  return {
    submissions: ids.map((id) => [id, state.submissions.has(id), state.submissions.get(id)]),
    unknown: state.submissions.get('01890000-0000-7000-8000-000000000000'),
    active: keys.map(([u, i, p]) => state.active.get(valueKey(u, i, p)) ?? null),
    revisions: keys.map(([u, i, p]) => state.revisions.get(streams.value(u, i, p)) ?? null),
    unit: state.revisions.get(streams.unit('747')),
  };
}

describe('the write state keeps values as numbers', () => {
  it('answers exactly as a state of Maps does, for any history of submissions, corrections and retractions', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const compact = createWriteState();
        const reference = inMaps();
        const ids = fold(compact, steps);
        fold(reference, steps);
        expect(answers(compact, ids)).toEqual(answers(reference, ids));
      }),
      { numRuns: 300 },
    );
  });

  it('finds every one of many submissions, across the growth of its index', () => {
    const state = createWriteState();
    const ids = Array.from(
      { length: 5_000 },
      (_, n) => `0190${n.toString(16).padStart(4, '0')}-0000-7000-8000-${n.toString(16).padStart(12, '0')}`,
    );
    ids.forEach((submissionId, n) => {
      const data = { submissionId, unitId: `u${n}`, indicator: 'on-time', period: '2023', value: n };
      evolveWriteState(state, streams.value(data.unitId, 'on-time', '2023'), {
        type: 'ledger.value-submitted.v1',
        data,
      });
    });
    ids.forEach((id, n) => {
      expect(state.submissions.get(id)).toEqual({
        submissionId: id,
        unitId: `u${n}`,
        indicator: 'on-time',
        period: '2023',
        value: n,
        retracted: false,
      });
    });
    expect(state.active.get(valueKey('u4999', 'on-time', '2023'))).toBe(ids[4999]);
  });

  it('keeps no revision of the streams no command is decided on', () => {
    const state = createWriteState();
    evolveWriteState(state, 'idempotency:abc', { type: 'ingestion.idempotency-key-recorded.v1', data: {} });
    evolveWriteState(state, streams.target('on-time', '2023', null), { type: 'other.v1', data: {} });
    expect(state.revisions.get('idempotency:abc')).toBeUndefined();
    expect(state.revisions.get(streams.target('on-time', '2023', null))).toBe(0);
  });
});
