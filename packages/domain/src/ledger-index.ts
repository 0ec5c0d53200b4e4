import { type AppendOnlyColumn, createRunColumn } from './column.ts';
import type { RecordedEvent } from './envelope.ts';
import { isLedgerEventType, type LedgerEventBody, parseEventBody } from './events.ts';
import type { EventRef, Indicator, Methodology, Seal, Target, Unit, Value } from './facts.ts';
import { type History, record } from './history.ts';
import type { Period } from './period.ts';
import { createValueVersions, type ValueInForce, type ValueVersions } from './value-versions.ts';

/**
 * The submission and corrections behind each value version, by the position that recorded it. The
 * index keeps only numbers for values; whoever folds it decides where the details live: in memory
 * (the default), or in a projection's own storage, read back when a scorecard or a correction needs them.
 */
export interface ValueDetails {
  /** False for a fold that never shows details (scoring): then nothing is kept and `get` finds nothing. */
  readonly keeps: boolean;
  get(position: number): Value | undefined;
  put(position: number, value: Value): void;
}

export function inMemoryValueDetails(): ValueDetails {
  const details = new Map<number, Value>();
  return {
    keeps: true,
    get: (position) => details.get(position),
    put: (position, value) => details.set(position, value),
  };
}

/** For a fold that only scores: ~36 bytes per value version instead of ~0.5 KB more for the details. */
export const noValueDetails = (): ValueDetails => ({
  keeps: false,
  get: () => undefined,
  put: () => undefined,
});

/**
 * The as-of index: every version of every fact, keyed by the log position that recorded it.
 * Folding the log once gives an index that answers "as of position P" for any P by binary
 * search (see view.ts), without replaying the log again.
 */
export interface LedgerIndex {
  /** Position and recordedAt (epoch ms) of every event folded, in log order. */
  readonly positions: AppendOnlyColumn;
  readonly recordedAtMs: AppendOnlyColumn;
  readonly units: Map<string, History<Unit>>;
  readonly indicators: Map<string, History<Indicator>>;
  readonly methodologies: Map<string, History<Methodology>>;
  readonly targets: Map<string, History<Target>>;
  /** The ledger's seal (time.ts), under the key 'ledger': at most one version. */
  readonly seals: Map<string, History<Seal>>;
  /** Every version of every value, as numbers; the details behind each are in `valueDetails`. */
  readonly values: ValueVersions;
  readonly valueDetails: ValueDetails;
  /** Indicators that have a unit's own target for some period (derived from `targets`). */
  readonly unitTargetIndicators: Set<string>;
  /**
   * The general targets' histories by indicator and period (derived from `targets`, the same
   * arrays): the lookup a score makes for each of its indicators, without building a key.
   */
  readonly generalTargets: Map<string, Map<Period, History<Target>>>;
  /** Every unit that has ever had a parent, by parent (derived from `units`): rankings under a parent start here. */
  readonly unitsByParent: Map<string, Set<string>>;
  /** When set, every version recorded is also pushed here, for a projection to persist. */
  journal?: FactVersion[];
}

export type FactKind = 'units' | 'indicators' | 'methodologies' | 'targets' | 'seals' | 'values';

/** One version of one fact, as a projection stores it. */
export interface FactVersion {
  readonly kind: FactKind;
  readonly key: string;
  readonly position: number;
  readonly value: unknown;
}

function put(index: LedgerIndex, kind: FactKind, key: string, position: number, value: unknown): void {
  restoreVersion(index, { kind, key, position, value });
  index.journal?.push({ kind, key, position, value });
}

/**
 * A value version (null, null: a retraction). Its details are built, kept and journaled only where
 * the fold keeps details.
 */
function putValue(
  index: LedgerIndex,
  of: { readonly unitId: string; readonly indicator: string; readonly period: Period },
  position: number,
  value: number | null,
  submissionId: string | null,
  details: () => Value | null,
): void {
  // Built first: details that cannot be built (an adapter's read failing) leave the index unchanged.
  const kept = index.valueDetails.keeps ? details() : null;
  index.values.record(of.unitId, of.indicator, of.period, position, value, submissionId);
  if (!index.valueDetails.keeps) return;
  if (kept) index.valueDetails.put(position, kept);
  index.journal?.push({
    kind: 'values',
    key: valueKey(of.unitId, of.indicator, of.period),
    position,
    value: kept,
  });
}

/** Restores an index from what a projection stored: versions and log entries, each in log order. */
export function restoreVersion(index: LedgerIndex, version: FactVersion): void {
  const { kind, key, position, value } = version;
  if (kind === 'values') {
    const details = value as Value | null;
    restoreValueVersion(index, key, position, details?.value ?? null, details?.submissionId ?? null);
    return;
  }
  const map = index[kind] as Map<string, History<unknown>>;
  if (kind === 'targets' && (value as Target).unitId !== null)
    index.unitTargetIndicators.add((value as Target).indicator);
  if (kind === 'units')
    for (const { parentId } of (value as Unit).names) if (parentId) addTo(index.unitsByParent, parentId, key);
  record(map, key, position, value);
  if (kind === 'targets' && (value as Target).unitId === null) {
    const { indicator, period } = value as Target;
    const byPeriod = index.generalTargets.get(indicator) ?? new Map<Period, History<Target>>();
    index.generalTargets.set(indicator, byPeriod);
    if (!byPeriod.has(period)) byPeriod.set(period, index.targets.get(key) as History<Target>);
  }
}

/** Restores a value version (see `valueKey`) from its number and submission id; null, null: a retraction. */
export function restoreValueVersion(
  index: LedgerIndex,
  key: string,
  position: number,
  value: number | null,
  submissionId: string | null,
): void {
  const [unitId = '', indicator = '', period = ''] = key.split('\u0000');
  index.values.record(unitId, indicator, period, position, value, submissionId);
}

function addTo(map: Map<string, Set<string>>, key: string, item: string): void {
  const set = map.get(key);
  if (set) set.add(item);
  else map.set(key, new Set([item]));
}

export function restoreLogEntry(index: LedgerIndex, position: number, recordedAtMs: number): void {
  index.positions.push(position);
  index.recordedAtMs.push(recordedAtMs);
}

export type LedgerRecordedEvent = RecordedEvent & LedgerEventBody;

export const createLedgerIndex = (valueDetails: ValueDetails = inMemoryValueDetails()): LedgerIndex => ({
  positions: createRunColumn(1),
  recordedAtMs: createRunColumn(0),
  units: new Map(),
  indicators: new Map(),
  methodologies: new Map(),
  targets: new Map(),
  seals: new Map(),
  values: createValueVersions({ keepSubmissionIds: !valueDetails.keeps }),
  valueDetails,
  unitsByParent: new Map(),
  unitTargetIndicators: new Set(),
  generalTargets: new Map(),
});

export const targetKey = (indicator: string, period: Period, unitId: string | null) =>
  `${indicator}\u0000${period}\u0000${unitId ?? ''}`;
/** The value in force at `position`, with the submission and corrections behind it. */
export function valueDetailsAt(index: LedgerIndex, inForce: ValueInForce | undefined): Value | undefined {
  if (!inForce) return undefined;
  const details = index.valueDetails.get(inForce.position);
  if (!details) throw new RangeError(`no details for the value version at position ${inForce.position}`);
  return details;
}

export const valueKey = (unitId: string, indicator: string, period: Period) =>
  `${unitId}\u0000${indicator}\u0000${period}`;

export const headPosition = (index: LedgerIndex): number => index.positions.at(-1) ?? 0;

/** The ledger's seal, if the index has folded it. */
export const sealOf = (index: LedgerIndex): Seal | undefined => index.seals.get('ledger')?.at(-1)?.value;

const latest = <T>(history: History<T> | undefined): T | undefined => history?.at(-1)?.value;

const refOf = (e: RecordedEvent): EventRef => ({
  eventId: e.eventId,
  type: e.type,
  position: e.position,
  recordedAt: e.recordedAt,
  actor: e.metadata.actor,
});

/**
 * Folds one recorded event into the index, in log order. Events that are not ledger facts (the
 * ingestion's own bookkeeping) only advance the position. Mutates the index: it only ever grows.
 */
export function evolve(index: LedgerIndex, event: RecordedEvent): void {
  const last = index.positions.at(-1);
  if (last !== undefined && event.position <= last)
    throw new RangeError(`event at position ${event.position} folded after position ${last}`);
  // The fact first: an event that cannot be applied must leave the index exactly as it was.
  applyFact(index, event as LedgerRecordedEvent);
  index.positions.push(event.position);
  index.recordedAtMs.push(Date.parse(event.recordedAt));
}

/**
 * Folds an event as the store returned it: a ledger event is first checked against its schema
 * (a ZodError if it does not match), then folded. Returns the event with its typed body. An event
 * that cannot be applied throws and leaves the index unchanged.
 */
export function foldRecorded(index: LedgerIndex, event: RecordedEvent): RecordedEvent {
  const typed = checkRecorded(event);
  evolve(index, typed);
  return typed;
}

/** An event as the store returned it, with a ledger event's body checked against its schema (a ZodError if it does not match). */
export const checkRecorded = (event: RecordedEvent): RecordedEvent =>
  isLedgerEventType(event.type) ? { ...event, ...parseEventBody(event.type, event.data) } : event;

function applyFact(index: LedgerIndex, e: LedgerRecordedEvent): void {
  const at = e.position;
  switch (e.type) {
    case 'ledger.unit-registered.v1': {
      const { unitId, name, level, parentId, validFrom, validTo, successorId } = e.data;
      put(index, 'units', unitId, at, {
        unitId,
        level,
        validFrom,
        validTo,
        successorId,
        names: [{ from: null, name, parentId }],
      });
      return;
    }
    case 'ledger.unit-revised.v1': {
      const { unitId, effectiveFrom, name, parentId, validTo, successorId } = e.data;
      const prev = latest(index.units.get(unitId));
      if (!prev) throw new RangeError(`unit ${unitId} revised before it was registered`);
      const current = prev.names.at(-1);
      const renamed = current?.name !== name || current?.parentId !== parentId;
      // A revision without a new name or parent (an abolition, say) leaves earlier names alone.
      const names =
        effectiveFrom === null && !renamed
          ? prev.names
          : [
              ...(effectiveFrom === null
                ? []
                : prev.names.filter((n) => n.from === null || n.from < effectiveFrom)),
              { from: effectiveFrom, name, parentId },
            ];
      put(index, 'units', unitId, at, { ...prev, validTo, successorId, names });
      return;
    }
    case 'ledger.indicator-defined.v1':
    case 'ledger.indicator-revised.v1':
      put(index, 'indicators', e.data.code, at, { ...e.data });
      return;
    case 'ledger.methodology-published.v1':
      put(index, 'methodologies', e.data.methodologyId, at, { ...e.data });
      return;
    case 'ledger.target-set.v1': {
      const d = e.data;
      put(index, 'targets', targetKey(d.indicator, d.period, d.unitId), at, { ...d, event: refOf(e) });
      return;
    }
    case 'ledger.value-submitted.v1': {
      const d = e.data;
      putValue(index, d, at, d.value, d.submissionId, () => ({
        submissionId: d.submissionId,
        value: d.value,
        source: d.source,
        reportedAt: d.reportedAt,
        submission: refOf(e),
        corrections: [],
      }));
      return;
    }
    case 'ledger.value-corrected.v1': {
      const d = e.data;
      const { keeps } = index.valueDetails;
      const prev = keeps
        ? valueDetailsAt(index, index.values.at(d.unitId, d.indicator, d.period, Number.POSITIVE_INFINITY))
        : undefined;
      const inForce = keeps
        ? prev?.submissionId === d.submissionId
        : index.values.isInForce(d.unitId, d.indicator, d.period, d.submissionId);
      if (!inForce) throw new RangeError(`correction of submission ${d.submissionId}, which is not in force`);
      putValue(index, d, at, d.value, d.submissionId, () => ({
        ...(prev as Value),
        value: d.value,
        corrections: [...(prev as Value).corrections, { ...refOf(e), value: d.value, reason: d.reason }],
      }));
      return;
    }
    case 'ledger.submission-retracted.v1': {
      const d = e.data;
      putValue(index, d, at, null, null, () => null);
      return;
    }
    case 'ledger.ledger-sealed.v1':
      put(index, 'seals', 'ledger', at, { reason: e.data.reason, event: refOf(e) });
      return;
    default:
      return;
  }
}
