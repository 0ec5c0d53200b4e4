import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../src/commands.ts';
import { Rejection } from '../src/errors.ts';
import type { LedgerIndex, LedgerRecordedEvent } from '../src/ledger-index.ts';
import { type Ranking, rank } from '../src/ranking.ts';
import { type LedgerView, positionAsOf, viewAt } from '../src/view.ts';
import {
  catalogLedger,
  cmd,
  IND,
  indexOf,
  PROVINCE_METHODOLOGY,
  publishProvinceMethodology,
  T0,
  type TestLedger,
} from './fixtures.ts';

/**
 * Random but always valid histories: a fixed catalogue (units, indicators, the province
 * methodology) recorded first, then submissions, corrections, retractions, target changes,
 * renames and republications. Every event comes from a command run through decide against the
 * write state, so the history is one the ledger could really have recorded.
 */

const DAY = 86_400_000;
const UNITS = ['HN', 'HP', 'DN', 'HT'] as const;
const INDICATORS = [IND.online, IND.onTime, IND.processingDays, IND.digitised, IND.satisfaction] as const;
const PERIODS = ['2023', '2023-Q4', '2024', '2024-Q1'] as const;
const NAMES = ['Tỉnh Mới', 'Thành phố Trực thuộc', 'Tỉnh Hợp nhất'] as const;
const RUNS = { numRuns: 100 };

type Step =
  | { kind: 'submit'; unit: number; indicator: number; period: number; raw: number }
  | { kind: 'correct'; pick: number; raw: number }
  | { kind: 'retract'; pick: number }
  | { kind: 'target'; indicator: number; period: number; unit: number | null; raw: number }
  | { kind: 'rename'; unit: number; name: number; effectiveFrom: string | null }
  | { kind: 'republish'; threshold: number; maxPoints: number; appliesFrom: string | null };

/** How long after the previous event a step is recorded: often the same millisecond, sometimes days. */
const gapArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 1000 }),
  fc.integer({ min: 1, max: 5 * DAY }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      unit: fc.nat(UNITS.length - 1),
      indicator: fc.nat(INDICATORS.length - 1),
      period: fc.nat(PERIODS.length - 1),
      raw: fc.integer({ min: 0, max: 200 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('correct' as const),
      pick: fc.nat(),
      raw: fc.integer({ min: 0, max: 200 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('target' as const),
      indicator: fc.nat(INDICATORS.length - 1),
      period: fc.nat(PERIODS.length - 1),
      unit: fc.option(fc.nat(UNITS.length - 1), { nil: null }),
      raw: fc.integer({ min: 1, max: 200 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rename' as const),
      unit: fc.nat(UNITS.length - 1),
      name: fc.nat(NAMES.length - 1),
      effectiveFrom: fc.constantFrom('2023-10-01', '2024-01-01', null),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('republish' as const),
      threshold: fc.integer({ min: 50, max: 95 }),
      maxPoints: fc.integer({ min: 5, max: 20 }),
      appliesFrom: fc.constantFrom(null, '2024', '2024-Q1'),
    }),
  },
);

const timedSteps = (maxLength: number) => fc.array(fc.tuple(stepArb, gapArb), { maxLength, size: 'max' });

/** Percentages in half points (0–100); average days in tenths (0–20). */
const valueFor = (indicator: string, raw: number) => (indicator === IND.processingDays ? raw / 10 : raw / 2);

/** A ledger with the catalogue, the methodology, and Hà Tây, which ceased to exist mid-2023. */
function baseLedger(): TestLedger {
  const l = catalogLedger(T0);
  l.record(
    cmd('unit', {
      id: 'HT',
      validFrom: '2000-01-01',
      name: 'Tỉnh Hà Tây',
      level: 'province',
      parentId: 'VN',
      validTo: '2023-06-30',
      successorId: 'HN',
    }),
  );
  publishProvinceMethodology(l);
  return l;
}

/** The command a step stands for, given what the ledger holds; undefined when it has nothing to act on. */
function commandFor(step: Step, l: TestLedger, submissions: readonly string[]): Command | undefined {
  const live = submissions.filter((id) => l.state.submissions.get(id)?.retracted === false);
  switch (step.kind) {
    case 'submit': {
      const indicator = INDICATORS[step.indicator] as string;
      return cmd('submission', {
        unitId: UNITS[step.unit] as string,
        indicator,
        period: PERIODS[step.period] as string,
        value: valueFor(indicator, step.raw),
      });
    }
    case 'correct': {
      const id = live[step.pick % live.length];
      if (id === undefined) return undefined;
      const indicator = l.state.submissions.get(id)?.indicator as string;
      return cmd('correction', {
        submissionId: id,
        value: valueFor(indicator, step.raw),
        reason: 'Số liệu kiểm tra lại',
      });
    }
    case 'retract': {
      const id = live[step.pick % live.length];
      return id === undefined ? undefined : cmd('retraction', { submissionId: id, reason: 'Nộp nhầm' });
    }
    case 'target': {
      const indicator = INDICATORS[step.indicator] as string;
      return cmd('target', {
        indicator,
        period: PERIODS[step.period] as string,
        ...(step.unit === null ? {} : { unitId: UNITS[step.unit] as string }),
        value: valueFor(indicator, step.raw),
        authority: 'Văn phòng Chính phủ',
      });
    }
    case 'rename':
      return cmd('unit-revision', {
        unitId: UNITS[step.unit] as string,
        name: NAMES[step.name] as string,
        ...(step.effectiveFrom === null ? {} : { effectiveFrom: step.effectiveFrom }),
      });
    case 'republish':
      return cmd('methodology', {
        id: PROVINCE_METHODOLOGY,
        name: 'Bộ chỉ số 766 (sửa đổi)',
        level: 'province',
        ...(step.appliesFrom === null ? {} : { appliesFrom: step.appliesFrom }),
        indicators: [
          {
            indicator: IND.online,
            maxPoints: step.maxPoints,
            rule: { kind: 'attainment', threshold: step.threshold },
          },
          { indicator: IND.onTime, maxPoints: 20, rule: { kind: 'attainment' } },
          { indicator: IND.processingDays, maxPoints: 10, rule: { kind: 'attainment' } },
          { indicator: IND.digitised, maxPoints: 8, rule: { kind: 'met' } },
        ],
      });
  }
}

/**
 * Runs the steps, recording each one `gap` ms after the previous event (and not before
 * `notBeforeMs`). Steps the ledger refuses (a duplicate submission, a correction to the same
 * value, a unit that did not exist in the period…) record nothing, as in real life.
 */
function run(l: TestLedger, steps: readonly (readonly [Step, number])[], notBeforeMs = l.clock): TestLedger {
  const submissions = l.events.flatMap((e) =>
    e.type === 'ledger.value-submitted.v1' ? [e.data.submissionId] : [],
  );
  let at = Math.max(l.clock, notBeforeMs);
  for (const [step, gap] of steps) {
    const command = commandFor(step, l, submissions);
    if (command === undefined) continue;
    at += gap;
    try {
      const event = l.record(command, at);
      if (event.type === 'ledger.value-submitted.v1') submissions.push(event.data.submissionId);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
    }
  }
  return l;
}

/**
 * Every ranking a reader could ask of a view: each period with the methodology version in force
 * for it, all provinces and those under VN; undefined where no version applies yet.
 */
function rankings(view: LedgerView): (Ranking | undefined)[] {
  return PERIODS.flatMap((period) => {
    const methodology = view.methodology(PROVINCE_METHODOLOGY, period);
    if (!methodology) return [undefined];
    return [rank(view, methodology, period), rank(view, methodology, period, 'VN')];
  });
}

const asOf = (index: LedgerIndex, instantMs: number) =>
  rankings(viewAt(index, positionAsOf(index, instantMs)));

const recordedAtMs = (e: LedgerRecordedEvent) => Date.parse(e.recordedAt);

/** An instant to ask about: exactly when some event was recorded (±1 ms), or anywhere from a day before the first to a day after the last. */
type InstantChoice = { exact: true; pick: number; nudge: number } | { exact: false; fraction: number };

const instantArb: fc.Arbitrary<InstantChoice> = fc.oneof(
  fc.record({ exact: fc.constant(true as const), pick: fc.nat(), nudge: fc.constantFrom(-1, 0, 1) }),
  fc.record({
    exact: fc.constant(false as const),
    fraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }),
);

function instantIn(events: readonly LedgerRecordedEvent[], choice: InstantChoice): number {
  const first = recordedAtMs(events[0] as LedgerRecordedEvent);
  const last = recordedAtMs(events.at(-1) as LedgerRecordedEvent);
  if (choice.exact)
    return recordedAtMs(events[choice.pick % events.length] as LedgerRecordedEvent) + choice.nudge;
  return first - DAY + Math.floor(choice.fraction * (last - first + 2 * DAY));
}

describe('as-of replay (property-based)', () => {
  it('generated histories are valid and recorded in order', () => {
    fc.assert(
      fc.property(timedSteps(30), (steps) => {
        const events = run(baseLedger(), steps).events;
        events.forEach((e, i) => {
          expect(e.position).toBe(i + 1);
          if (i > 0)
            expect(recordedAtMs(e)).toBeGreaterThanOrEqual(
              recordedAtMs(events[i - 1] as LedgerRecordedEvent),
            );
        });
        // Folding never throws: every correction and retraction addresses the value in force.
        indexOf(events);
      }),
      RUNS,
    );
  });

  it('determinism: the same events folded into two fresh indexes give identical rankings', () => {
    fc.assert(
      fc.property(timedSteps(30), (steps) => {
        const events = run(baseLedger(), steps).events;
        // The second copy has been through JSON, as events read back from a store would be.
        const a = rankings(viewAt(indexOf(events)));
        const b = rankings(viewAt(indexOf(JSON.parse(JSON.stringify(events)) as LedgerRecordedEvent[])));
        expect(a.filter((r) => r !== undefined)).not.toHaveLength(0);
        expect(b).toEqual(a);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      RUNS,
    );
  });

  it('as-of: the full index viewed as of D ranks exactly like an index of only the events recorded by D', () => {
    fc.assert(
      fc.property(timedSteps(30), instantArb, (steps, choice) => {
        const events = run(baseLedger(), steps).events;
        const d = instantIn(events, choice);
        const full = indexOf(events);
        const known = indexOf(events.filter((e) => recordedAtMs(e) <= d));

        const position = positionAsOf(full, d);
        expect(position).toBe(known.positions.at(-1) ?? 0);
        const then = viewAt(full, position);
        const only = viewAt(known);
        expect(then.units()).toEqual(only.units());
        expect(rankings(then)).toEqual(rankings(only));
      }),
      RUNS,
    );
  });

  it('nothing recorded after D — a correction, a retraction, a new target — changes the result as of D', () => {
    let changedAtHead = 0;
    fc.assert(
      fc.property(timedSteps(20), instantArb, timedSteps(15), (steps, choice, laterSteps) => {
        const l = run(baseLedger(), steps);
        const d = instantIn(l.events, choice);
        const before = asOf(l.index(), d);
        const headBefore = rankings(l.view());

        // Corrections and the rest, all recorded after D.
        run(l, laterSteps, d + 1);
        const index = l.index();
        expect(asOf(index, d)).toEqual(before);
        if (JSON.stringify(rankings(viewAt(index))) !== JSON.stringify(headBefore)) changedAtHead++;
      }),
      RUNS,
    );
    // The later events changed the present in many runs, so the property is not vacuous.
    expect(changedAtHead).toBeGreaterThan(RUNS.numRuns / 4);
  });

  it('a correction recorded after D leaves the value as of D as it was', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 10 * DAY }),
        (submitted, corrected, delay) => {
          fc.pre(submitted !== corrected);
          const l = baseLedger();
          const id = l.submit(
            { unitId: 'HN', indicator: IND.online, period: '2024', value: submitted / 2 },
            T0 + DAY,
          );
          const d = l.clock + delay - 1;
          l.record(
            cmd('correction', { submissionId: id, value: corrected / 2, reason: 'Sửa' }),
            l.clock + delay,
          );
          const index = l.index();
          expect(viewAt(index, positionAsOf(index, d)).value('HN', IND.online, '2024')?.value).toBe(
            submitted / 2,
          );
          expect(viewAt(index).value('HN', IND.online, '2024')?.value).toBe(corrected / 2);
        },
      ),
      RUNS,
    );
  });
});
