import {
  checkRecorded,
  computeScore,
  createLedgerIndex,
  foldRecorded,
  headPosition,
  isLedgerEventType,
  type LedgerIndex,
  type LedgerRecordedEvent,
  methodologyVersionKey,
  noValueDetails,
  type RecordedEvent,
  type ScoreData,
  scoreKey,
  scoresAffectedBy,
  streams,
  viewAt,
} from '@ledger/domain';
import type { AppendRequest } from '@ledger/event-store';
import { deterministicUuidV7 } from './deterministic-id.ts';

export const SCORE_COMPUTED = 'ledger.score-computed.v1';

type Score = Omit<ScoreData, 'computedFrom'>;

/**
 * What decides whether a score changed — methodology version, total, counts, and the points in
 * order — in ~0.4 KB (a unit's scores for every period are kept, ~230,000 at national scale).
 */
interface LastScore {
  /** The position of the input it was computed from. */
  readonly computedFrom: number;
  readonly methodologyVersion: number;
  readonly total: number;
  readonly indicatorsMet: number;
  readonly indicatorsTotal: number;
  /** Shared by every score with the same indicators in the same order. */
  readonly indicators: readonly string[];
  readonly points: Float64Array;
}

function lastScores() {
  const scores = new Map<string, LastScore>();
  /** The indicators of each methodology version, in the order its scores list them. */
  const indicatorLists = new Map<string, readonly string[]>();
  const listOf = (score: Score) => {
    const keys = Object.keys(score.points);
    const version = methodologyVersionKey(score.methodologyId, score.methodologyVersion);
    const found = indicatorLists.get(version);
    if (found?.length === keys.length && found.every((k, i) => k === keys[i])) return found;
    indicatorLists.set(version, keys);
    return keys;
  };
  return {
    /**
     * Records a score computed from the input at `computedFrom`, unless a score computed from a
     * later input is known: a recorded score can come back through the log after its scorer has
     * computed a newer one, and must not take its place.
     */
    set: (score: Score, computedFrom: number) => {
      const key = scoreKey(score);
      if ((scores.get(key)?.computedFrom ?? -1) > computedFrom) return;
      const indicators = listOf(score);
      const { methodologyVersion, total, indicatorsMet, indicatorsTotal } = score;
      const points = new Float64Array(indicators.length);
      indicators.forEach((k, i) => {
        points[i] = score.points[k] as number;
      });
      scores.set(key, {
        computedFrom,
        methodologyVersion,
        total,
        indicatorsMet,
        indicatorsTotal,
        indicators,
        points,
      });
    },
    /** Whether a score is the last one recorded for its unit, methodology and period. */
    isLast: (b: Score): boolean => {
      const a = scores.get(scoreKey(b));
      if (
        !a ||
        a.methodologyVersion !== b.methodologyVersion ||
        a.total !== b.total ||
        a.indicatorsMet !== b.indicatorsMet ||
        a.indicatorsTotal !== b.indicatorsTotal
      )
        return false;
      const others = Object.keys(b.points);
      if (a.indicators.length !== others.length) return false;
      return a.indicators.every((k, i) => k === others[i] && a.points[i] === b.points[k]);
    },
  };
}

/** The scoring logic, without I/O: what scores an input changes, as of the input's position. */
export interface Scorer {
  readonly index: LedgerIndex;
  /** Folds an event into the index (and, for a score event, into the last scores known). */
  fold(event: RecordedEvent): void;
  /**
   * Folds an input (unless it already is) and returns the score events it gives: one per score
   * that changed. Nothing after the input may have been folded: what an input affects is read from
   * the index as it stands.
   */
  score(input: RecordedEvent): AppendRequest[];
}

export function createScorer(): Scorer {
  // Scores need values, never the details behind them: ~36 bytes per value version.
  const index = createLedgerIndex(noValueDetails());
  const last = lastScores();
  /** Folds an event not folded yet, and returns it with its checked body. */
  const fold = (event: RecordedEvent): RecordedEvent | undefined => {
    if (event.position <= headPosition(index)) return undefined;
    const e = foldRecorded(index, event) as LedgerRecordedEvent;
    if (e.type === SCORE_COMPUTED) {
      const { computedFrom, ...score } = e.data;
      last.set(score, computedFrom);
    }
    return e;
  };
  return {
    index,
    fold: (event) => {
      fold(event);
    },
    score: (event) => {
      const input = fold(event) ?? checkRecorded(event);
      if (!isLedgerEventType(input.type) || input.type === SCORE_COMPUTED) return [];
      const view = viewAt(index, input.position);
      const requests: AppendRequest[] = [];
      for (const key of scoresAffectedBy(index, view, input as LedgerRecordedEvent)) {
        const computed = computeScore(view, key);
        if (!computed || last.isLast(computed)) continue;
        last.set(computed, input.position);
        const streamId = streams.score(key.methodologyId, key.period, key.unitId);
        requests.push({
          streamId,
          expectedRevision: 'any',
          events: [
            {
              eventId: deterministicUuidV7(Date.parse(input.recordedAt), `${input.eventId}|${streamId}`),
              type: SCORE_COMPUTED,
              schemaVersion: 1,
              data: { ...computed, computedFrom: input.position } satisfies ScoreData,
              metadata: {
                actor: 'scoring',
                correlationId: input.metadata.correlationId,
                causationId: input.eventId,
              },
            },
          ],
        });
      }
      return requests;
    },
  };
}

/**
 * The score events a clean run of the scoring logic gives for a log: every input folded in order,
 * score events and checkpoints of the log itself ignored. Auditors and fault tests compare it with
 * the score events the log holds.
 */
export function expectedScoreEvents(log: readonly RecordedEvent[]): { streamId: string; data: ScoreData }[] {
  const scorer = createScorer();
  const out: { streamId: string; data: ScoreData }[] = [];
  for (const event of log) {
    if (event.type === SCORE_COMPUTED) {
      scorer.index.positions.push(event.position);
      scorer.index.recordedAtMs.push(Date.parse(event.recordedAt));
      continue;
    }
    for (const r of scorer.score(event))
      out.push({ streamId: r.streamId, data: r.events[0]?.data as ScoreData });
  }
  return out;
}
