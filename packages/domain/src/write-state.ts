import { type AccessEvent, evolvePrincipal, identityKey, type PrincipalState } from './access.ts';
import type { LedgerEventBody } from './events.ts';
import type { Indicator, Methodology } from './facts.ts';
import { valueKey, valueKeyParts } from './keys.ts';
import type { UnitLevel } from './model.ts';
import type { Period } from './period.ts';
import { isDecidedStream, type ValueStreamParts, valueStreamParts } from './streams.ts';
import { createValueCells, type ValueCells } from './value-cells.ts';

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
  /** Each principal with its grants and keys (access.ts); listable, for the topics named after them. */
  readonly principals: ListableMap<string, PrincipalState>;
  /** The principal of each grant, of each API key, and of each bound OIDC identity (identityKey). */
  readonly grantOwners: MapLike<string, string>;
  readonly keyOwners: MapLike<string, string>;
  readonly identities: MapLike<string, string>;
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

/** A MapLike whose keys can be listed. */
export interface ListableMap<K, V> extends MapLike<K, V> {
  keys(): IterableIterator<K>;
}

/** A map that reads through to a base and keeps its own writes. */
class OverlayMap<K, V> implements MapLike<K, V> {
  readonly #own = new Map<K, V>();
  readonly #base: MapLike<K, V>;
  constructor(base: MapLike<K, V>) {
    this.#base = base;
  }
  /** The base's keys and then its own new ones (a base that cannot list them lists none). */
  *keys(): IterableIterator<K> {
    const base = this.#base as Partial<ListableMap<K, V>>;
    for (const key of base.keys?.() ?? []) yield key;
    for (const key of this.#own.keys()) if (!this.#base.has(key)) yield key;
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

/**
 * A new, empty write state. Values — the bulk of it, one stream per unit, indicator and period —
 * are kept as numbers (value-cells.ts); so is the revision of each value stream.
 */
export function createWriteState(): WriteState {
  const cells = createValueCells();
  return {
    revisions: streamRevisions(cells),
    units: new Map(),
    indicators: new Map(),
    methodologies: new Map(),
    submissions: submissionsIn(cells),
    active: activeSubmissions(cells),
    principals: new Map(),
    grantOwners: new Map(),
    keyOwners: new Map(),
    identities: new Map(),
  };
}

/**
 * The revision of each stream commands are decided on. Value streams' are in their cells; those of
 * units, indicators, methodologies, targets and the seal in a Map. Streams no command is decided on (scores,
 * idempotency records, checkpoints) are not kept: their revision reads as -1.
 */
function streamRevisions(cells: ValueCells): MapLike<string, number> {
  const others = new Map<string, number>();
  const valueCell = ({ unitId, indicator, period }: ValueStreamParts, create: boolean) =>
    cells.cell(unitId, indicator, period, create);
  const get = (streamId: string) => {
    const value = valueStreamParts(streamId);
    if (value === undefined) return others.get(streamId);
    const cell = valueCell(value, false);
    const revision = cell < 0 ? -1 : cells.revision(cell);
    return revision < 0 ? undefined : revision;
  };
  return {
    get,
    has: (streamId) => get(streamId) !== undefined,
    set(streamId, revision) {
      const value = valueStreamParts(streamId);
      if (value !== undefined) cells.setRevision(valueCell(value, true), revision);
      else if (isDecidedStream(streamId)) others.set(streamId, revision);
      return this;
    },
  };
}

function submissionsIn(cells: ValueCells): MapLike<string, CurrentSubmission> {
  const get = (submissionId: string): CurrentSubmission | undefined => {
    const s = cells.submission(submissionId, false);
    if (s < 0) return undefined;
    return {
      submissionId: cells.submissionId(s),
      ...cells.keyOf(cells.cellOf(s)),
      value: cells.value(s),
      retracted: cells.retracted(s),
    };
  };
  return {
    get,
    has: (submissionId) => cells.submission(submissionId, false) >= 0,
    set(submissionId, { unitId, indicator, period, value, retracted }) {
      const cell = cells.cell(unitId, indicator, period, true);
      cells.setSubmission(cells.submission(submissionId, true), cell, value, retracted);
      return this;
    },
  };
}

/** The active submission of each value (valueKey), '' once retracted. */
function activeSubmissions(cells: ValueCells): MapLike<string, string> {
  const cellOf = (key: string, create: boolean) => {
    const { unitId, indicator, period } = valueKeyParts(key);
    return cells.cell(unitId, indicator, period, create);
  };
  const get = (key: string) => {
    const cell = cellOf(key, false);
    if (cell < 0) return undefined;
    const s = cells.active(cell);
    return s === NO_SUBMISSION ? undefined : s === RETRACTED ? '' : cells.submissionId(s);
  };
  return {
    get,
    has: (key) => get(key) !== undefined,
    set(key, submissionId) {
      const cell = cellOf(key, true);
      cells.setActive(cell, submissionId === '' ? RETRACTED : cells.submission(submissionId, true));
      return this;
    },
  };
}

const NO_SUBMISSION = -1;
const RETRACTED = -2;

export const forkWriteState = (base: WriteState): WriteState => ({
  revisions: new OverlayMap(base.revisions),
  units: new OverlayMap(base.units),
  indicators: new OverlayMap(base.indicators),
  methodologies: new OverlayMap(base.methodologies),
  submissions: new OverlayMap(base.submissions),
  active: new OverlayMap(base.active),
  principals: new OverlayMap(base.principals),
  grantOwners: new OverlayMap(base.grantOwners),
  keyOwners: new OverlayMap(base.keyOwners),
  identities: new OverlayMap(base.identities),
});

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
      state.active.set(valueKey(unitId, indicator, period), submissionId);
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
      const key = valueKey(prev.unitId, prev.indicator, prev.period);
      if (state.active.get(key) === prev.submissionId) state.active.set(key, '');
      return;
    }
    case 'ledger.principal-registered.v1':
    case 'ledger.grant-given.v1':
    case 'ledger.grant-revoked.v1':
    case 'ledger.api-key-issued.v1':
    case 'ledger.api-key-revoked.v1': {
      const { principalId } = e.data;
      const next = evolvePrincipal(state.principals.get(principalId), e as AccessEvent);
      state.principals.set(principalId, next);
      if (e.type === 'ledger.principal-registered.v1' && e.data.oidc)
        state.identities.set(identityKey(e.data.oidc), principalId);
      if (e.type === 'ledger.grant-given.v1') state.grantOwners.set(e.data.grantId, principalId);
      if (e.type === 'ledger.api-key-issued.v1') state.keyOwners.set(e.data.keyId, principalId);
      return;
    }
    default:
      return;
  }
}
