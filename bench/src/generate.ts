import type { LedgerEventBody } from '@ledger/domain';
import { schemaVersionOf, streams } from '@ledger/domain';
import type { AppendRequest, ExpectedRevision } from '@ledger/event-store';
import { createRandom, uuidV7 } from './prng.ts';
import {
  COMMUNES,
  communeId,
  FIRST_YEAR,
  groupOf,
  INDICATORS,
  indicatorCode,
  lowerIsBetter,
  MAX_POINTS,
  METHODOLOGY_ID,
  referenceEvents,
  targetEvents,
  targetValue,
} from './scale-model.ts';

/**
 * The deterministic data set: recording month k (k = 0 is January FIRST_YEAR) holds, in order,
 * the reference data (k = 0), the year's targets (each January), ~3 % corrections of period k − 2
 * with the commune's rescored period, then every commune's 40 values for period k − 1, each
 * commune followed by its score event. Each month is cut into append batches whose recordedAt
 * climbs through days 2–27 of the month. Positions are predicted (a fresh store numbers 1, 2, …)
 * so score events can name the position they were computed from.
 */
export interface GeneratorOptions {
  readonly events: number;
  readonly seed: number;
  readonly batchSize: number;
}

export interface GeneratedBatch {
  readonly recordedAt: string;
  readonly requests: AppendRequest[];
  readonly count: number;
}

interface Pending {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly actor: string;
  readonly body: LedgerEventBody;
}

const CORRECTION_RATE = 0.03;
const DAY = 86_400_000;
const CELLS = COMMUNES * INDICATORS;

const monthStart = (k: number) => Date.UTC(FIRST_YEAR + Math.floor(k / 12), k % 12, 1);
const periodOf = (k: number) => {
  const d = new Date(monthStart(k));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

export function* generateBatches(options: GeneratorOptions): Generator<GeneratedBatch> {
  const random = createRandom(options.seed);
  const gauss = () => (random() + random() + random() - 1.5) * 2; // ~N(0, 1), cheap
  const quality = Float64Array.from({ length: COMMUNES }, () => 0.55 + 0.45 * random());
  let previous: { values: Float64Array; ids: string[]; period: string } | undefined;
  let position = 0;
  let emitted = 0;

  const valueFor = (c: number, i: number): number => {
    const q = quality[c] as number;
    return lowerIsBetter(i)
      ? round1(Math.max(0, 30 * (1 - q) + 3 * gauss()))
      : round1(Math.min(100, Math.max(0, 55 + 45 * q + 4 * gauss())));
  };

  const scoreOf = (
    values: Float64Array,
    c: number,
    period: string,
    computedFrom: number,
  ): LedgerEventBody => {
    const points: Record<string, number> = {};
    const groups: Record<string, number> = {};
    let total = 0;
    let met = 0;
    for (let i = 0; i < INDICATORS; i++) {
      const value = values[c * INDICATORS + i] as number;
      const target = targetValue(i);
      const isMet = lowerIsBetter(i) ? value <= target : value >= target;
      const partial = lowerIsBetter(i) ? (value <= 0 ? 1 : target / value) : value / target;
      const p = round2(isMet ? MAX_POINTS : i % 8 === 7 ? 0 : MAX_POINTS * Math.min(1, partial));
      points[indicatorCode(i)] = p;
      groups[groupOf(i)] = round2((groups[groupOf(i)] ?? 0) + p);
      total += p;
      if (isMet) met++;
    }
    return {
      type: 'ledger.score-computed.v1',
      data: {
        unitId: communeId(c),
        methodologyId: METHODOLOGY_ID,
        methodologyVersion: 1,
        period,
        points,
        groups,
        total: round2(total),
        indicatorsMet: met,
        indicatorsTotal: INDICATORS,
        computedFrom,
      },
    };
  };

  /** The events of recording month k, in log order; they will take positions position + 1, …. */
  function month(k: number): Pending[] {
    const out: Pending[] = [];
    if (k === 0)
      for (const body of referenceEvents())
        out.push({ streamId: streamOf(body), expected: 'no_stream', actor: 'bo-noi-vu', body });
    if (k % 12 === 0)
      for (const body of targetEvents(FIRST_YEAR + k / 12))
        out.push({ streamId: streamOf(body), expected: 'any', actor: 'bo-noi-vu', body });
    if (previous) {
      const { values, ids, period } = previous;
      const corrected = new Uint8Array(CELLS);
      for (let n = 0; n < Math.round(CELLS * CORRECTION_RATE); n++) {
        const cell = Math.floor(random() * CELLS);
        if (corrected[cell]) continue;
        corrected[cell] = 1;
        const c = Math.floor(cell / INDICATORS);
        const i = cell % INDICATORS;
        const previousValue = values[cell] as number;
        const value = round1(Math.max(0, previousValue + 5 * gauss()));
        values[cell] = value;
        const unitId = communeId(c);
        const indicator = indicatorCode(i);
        out.push({
          streamId: streams.value(unitId, indicator, period),
          expected: 0,
          actor: 'so-noi-vu',
          body: {
            type: 'ledger.value-corrected.v1',
            data: {
              submissionId: ids[cell] as string,
              unitId,
              indicator,
              period,
              value,
              previousValue,
              reason: 'Số liệu được rà soát lại',
            },
          },
        });
        out.push({
          streamId: streams.score(METHODOLOGY_ID, period, unitId),
          expected: 'any',
          actor: 'scoring',
          body: scoreOf(values, c, period, position + out.length),
        });
      }
    }
    if (k === 0) return out;
    const period = periodOf(k - 1);
    const values = new Float64Array(CELLS);
    const ids: string[] = new Array(CELLS);
    const reportedAt = new Date(monthStart(k)).toISOString();
    for (let c = 0; c < COMMUNES; c++) {
      const unitId = communeId(c);
      for (let i = 0; i < INDICATORS; i++) {
        const cell = c * INDICATORS + i;
        const value = valueFor(c, i);
        const submissionId = uuidV7(random, monthStart(k));
        values[cell] = value;
        ids[cell] = submissionId;
        const indicator = indicatorCode(i);
        out.push({
          streamId: streams.value(unitId, indicator, period),
          expected: 'no_stream',
          actor: `ubnd-${unitId}`,
          body: {
            type: 'ledger.value-submitted.v1',
            data: { submissionId, unitId, indicator, period, value, source: 'Hệ thống một cửa', reportedAt },
          },
        });
      }
      out.push({
        streamId: streams.score(METHODOLOGY_ID, period, unitId),
        expected: 'any',
        actor: 'scoring',
        body: scoreOf(values, c, period, position + out.length),
      });
    }
    previous = { values, ids, period };
    return out;
  }

  for (let k = 0; emitted < options.events; k++) {
    const all = month(k);
    const batches = Math.ceil(all.length / options.batchSize);
    const step = Math.floor((25 * DAY) / Math.max(1, batches));
    for (let b = 0; b < batches && emitted < options.events; b++) {
      const ms = monthStart(k) + DAY + b * step;
      const slice = all
        .slice(b * options.batchSize, (b + 1) * options.batchSize)
        .slice(0, options.events - emitted);
      const requests = slice.map(
        (e, n): AppendRequest => ({
          streamId: e.streamId,
          expectedRevision: e.expected,
          events: [
            {
              eventId: uuidV7(random, ms),
              type: e.body.type,
              schemaVersion: schemaVersionOf(e.body.type),
              data: e.body.data,
              metadata: { actor: e.actor, correlationId: `bench-${k}-${b}`, causationId: null, n },
            },
          ],
        }),
      );
      emitted += requests.length;
      position += requests.length;
      yield { recordedAt: new Date(ms).toISOString(), requests, count: requests.length };
    }
  }
}

function streamOf(body: LedgerEventBody): string {
  switch (body.type) {
    case 'ledger.unit-registered.v1':
      return streams.unit(body.data.unitId);
    case 'ledger.indicator-defined.v1':
      return streams.indicator(body.data.code);
    case 'ledger.methodology-published.v1':
      return streams.methodology(body.data.methodologyId);
    case 'ledger.target-set.v1':
      return streams.target(body.data.indicator, body.data.period, body.data.unitId);
    default:
      throw new Error(`no stream for ${body.type}`);
  }
}
