import type { LedgerEventBody } from './events.ts';
import type { Indicator, Methodology } from './facts.ts';
import type { UnitLevel } from './model.ts';
import type { Period } from './period.ts';

/**
 * What a command is decided against: the ledger's latest state (no history) and each stream's
 * revision. A batch decides against a fork, so a later command sees the effects of earlier ones
 * and nothing reaches the base state unless the whole batch is recorded.
 */
export interface WriteState {
  readonly revisions: MapLike<string, number>;
  readonly units: MapLike<string, CurrentUnit>;
  readonly indicators: MapLike<string, Indicator>;
  readonly methodologies: MapLike<string, Methodology>;
  readonly submissions: MapLike<string, CurrentSubmission>;
  /** The active (not retracted) submission of each value key. */
  readonly active: MapLike<string, string>;
}

export interface CurrentUnit {
  readonly unitId: string;
  readonly name: string;
  readonly level: UnitLevel;
  readonly parentId: string | null;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly successorId: string | null;
}

export interface CurrentSubmission {
  readonly submissionId: string;
  readonly unitId: string;
  readonly indicator: string;
  readonly period: Period;
  readonly value: number;
  readonly retracted: boolean;
}

export interface MapLike<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
}

/** A map that reads through to a base and keeps its own writes. */
class OverlayMap<K, V> implements MapLike<K, V> {
  readonly #own = new Map<K, V>();
  readonly #base: MapLike<K, V>;
  constructor(base: MapLike<K, V>) {
    this.#base = base;
  }
  get(key: K) {
    return this.#own.has(key) ? this.#own.get(key) : this.#base.get(key);
  }
  has(key: K) {
    return this.#own.has(key) || this.#base.has(key);
  }
  set(key: K, value: V) {
    this.#own.set(key, value);
    return this;
  }
}

export const createWriteState = (): WriteState => ({
  revisions: new Map(),
  units: new Map(),
  indicators: new Map(),
  methodologies: new Map(),
  submissions: new Map(),
  active: new Map(),
});

export const forkWriteState = (base: WriteState): WriteState => ({
  revisions: new OverlayMap(base.revisions),
  units: new OverlayMap(base.units),
  indicators: new OverlayMap(base.indicators),
  methodologies: new OverlayMap(base.methodologies),
  submissions: new OverlayMap(base.submissions),
  active: new OverlayMap(base.active),
});

export const activeKey = (unitId: string, indicator: string, period: Period) =>
  `${unitId}|${indicator}|${period}`;

/** The revision of a stream's last event, or -1 when the stream has none. */
export const revisionOf = (state: WriteState, streamId: string): number =>
  state.revisions.get(streamId) ?? -1;

/** Folds one event, recorded or about to be, into the write state. Unknown types only bump revisions. */
export function evolveWriteState(
  state: WriteState,
  streamId: string,
  event: { type: string; data: unknown },
): void {
  state.revisions.set(streamId, revisionOf(state, streamId) + 1);
  const e = event as LedgerEventBody;
  switch (e.type) {
    case 'ledger.unit-registered.v1': {
      const { successorId, ...rest } = e.data;
      state.units.set(e.data.unitId, { ...rest, successorId });
      return;
    }
    case 'ledger.unit-revised.v1': {
      const prev = state.units.get(e.data.unitId);
      if (prev) state.units.set(prev.unitId, { ...prev, ...e.data });
      return;
    }
    case 'ledger.indicator-defined.v1':
    case 'ledger.indicator-revised.v1':
      state.indicators.set(e.data.code, e.data);
      return;
    case 'ledger.methodology-published.v1':
      state.methodologies.set(e.data.methodologyId, e.data);
      return;
    case 'ledger.value-submitted.v1': {
      const { submissionId, unitId, indicator, period, value } = e.data;
      state.submissions.set(submissionId, {
        submissionId,
        unitId,
        indicator,
        period,
        value,
        retracted: false,
      });
      state.active.set(activeKey(unitId, indicator, period), submissionId);
      return;
    }
    case 'ledger.value-corrected.v1': {
      const prev = state.submissions.get(e.data.submissionId);
      if (prev) state.submissions.set(prev.submissionId, { ...prev, value: e.data.value });
      return;
    }
    case 'ledger.submission-retracted.v1': {
      const prev = state.submissions.get(e.data.submissionId);
      if (!prev) return;
      state.submissions.set(prev.submissionId, { ...prev, retracted: true });
      const key = activeKey(prev.unitId, prev.indicator, prev.period);
      if (state.active.get(key) === prev.submissionId) state.active.set(key, '');
      return;
    }
    default:
      return;
  }
}
