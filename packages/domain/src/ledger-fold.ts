import { type AccessEvent, evolvePrincipal } from './access.ts';
import type { RecordedEvent } from './envelope.ts';
import { isLedgerEventType, parseEventBody } from './events.ts';
import type { EventRef, Value } from './facts.ts';
import type { History } from './history.ts';
import { targetKey, valueKey } from './keys.ts';
import {
  type FactKind,
  type FactVersion,
  type LedgerIndex,
  type LedgerRecordedEvent,
  principalOf,
  valueDetailsAt,
} from './ledger-index.ts';
import { restoreVersion } from './ledger-restore.ts';
import type { Period } from './period.ts';

/**
 * What a fold hands back besides the index it grows. The index holds facts, not where they go: a
 * projection that persists each batch listens here, and a fold nobody listens to builds nothing extra.
 */
export interface FoldOptions {
  /**
   * Called with each fact version the event recorded, once it is in the index. A value version is
   * handed over only where the index keeps details: its value is those details (null: a retraction).
   */
  readonly onVersion?: (version: FactVersion) => void;
}

type OnVersion = FoldOptions['onVersion'];

/**
 * Folds one recorded event into the index, in log order. Events that are not ledger facts (the
 * ingestion's own bookkeeping) only advance the position. Mutates the index: it only ever grows.
 */
export function evolve(index: LedgerIndex, event: RecordedEvent, options?: FoldOptions): void {
  const last = index.positions.at(-1);
  if (last !== undefined && event.position <= last)
    throw new RangeError(`event at position ${event.position} folded after position ${last}`);
  // The fact first: an event that cannot be applied must leave the index exactly as it was.
  applyFact(index, event as LedgerRecordedEvent, options?.onVersion);
  index.positions.push(event.position);
  index.recordedAtMs.push(Date.parse(event.recordedAt));
}

/**
 * Folds an event as the store returned it: a ledger event is first checked against its schema
 * (a ZodError if it does not match), then folded. Returns the event with its typed body. An event
 * that cannot be applied throws, leaves the index unchanged and hands over no version.
 */
export function foldRecorded(index: LedgerIndex, event: RecordedEvent, options?: FoldOptions): RecordedEvent {
  const typed = checkRecorded(event);
  evolve(index, typed, options);
  return typed;
}

/** An event as the store returned it, with a ledger event's body checked against its schema (a ZodError if it does not match). */
export const checkRecorded = (event: RecordedEvent): RecordedEvent =>
  isLedgerEventType(event.type) ? { ...event, ...parseEventBody(event.type, event.data) } : event;

/** Records a version the way a restore does, so a restored index is the one folded. */
function put(
  index: LedgerIndex,
  kind: FactKind,
  key: string,
  position: number,
  value: unknown,
  onVersion: OnVersion,
): void {
  const version: FactVersion = { kind, key, position, value };
  restoreVersion(index, version);
  onVersion?.(version);
}

/**
 * A value version (null, null: a retraction). Its details are built, kept and handed over only
 * where the fold keeps details.
 */
function putValue(
  index: LedgerIndex,
  of: { readonly unitId: string; readonly indicator: string; readonly period: Period },
  position: number,
  value: number | null,
  submissionId: string | null,
  details: () => Value | null,
  onVersion: OnVersion,
): void {
  // Built first: details that cannot be built (an adapter's read failing) leave the index unchanged.
  const kept = index.valueDetails.keeps ? details() : null;
  index.values.record(of.unitId, of.indicator, of.period, position, value, submissionId);
  if (!index.valueDetails.keeps) return;
  if (kept) index.valueDetails.put(position, kept);
  onVersion?.({ kind: 'values', key: valueKey(of.unitId, of.indicator, of.period), position, value: kept });
}

const latest = <T>(history: History<T> | undefined): T | undefined => history?.at(-1)?.value;

const refOf = (e: RecordedEvent): EventRef => ({
  eventId: e.eventId,
  type: e.type,
  position: e.position,
  recordedAt: e.recordedAt,
  actor: e.metadata.actor,
});

function applyFact(index: LedgerIndex, e: LedgerRecordedEvent, onVersion: OnVersion): void {
  const at = e.position;
  switch (e.type) {
    case 'ledger.unit-registered.v1': {
      const { unitId, name, level, parentId, validFrom, validTo, successorId } = e.data;
      put(
        index,
        'units',
        unitId,
        at,
        { unitId, level, validFrom, validTo, successorId, names: [{ from: null, name, parentId }] },
        onVersion,
      );
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
      put(index, 'units', unitId, at, { ...prev, validTo, successorId, names }, onVersion);
      return;
    }
    case 'ledger.indicator-defined.v1':
    case 'ledger.indicator-revised.v1':
      put(index, 'indicators', e.data.code, at, { ...e.data }, onVersion);
      return;
    case 'ledger.methodology-published.v1':
      put(index, 'methodologies', e.data.methodologyId, at, { ...e.data }, onVersion);
      return;
    case 'ledger.target-set.v1': {
      const d = e.data;
      put(
        index,
        'targets',
        targetKey(d.indicator, d.period, d.unitId),
        at,
        { ...d, event: refOf(e) },
        onVersion,
      );
      return;
    }
    case 'ledger.value-submitted.v1': {
      const d = e.data;
      putValue(
        index,
        d,
        at,
        d.value,
        d.submissionId,
        () => ({
          submissionId: d.submissionId,
          value: d.value,
          source: d.source,
          reportedAt: d.reportedAt,
          submission: refOf(e),
          corrections: [],
        }),
        onVersion,
      );
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
      putValue(
        index,
        d,
        at,
        d.value,
        d.submissionId,
        () => ({
          ...(prev as Value),
          value: d.value,
          corrections: [...(prev as Value).corrections, { ...refOf(e), value: d.value, reason: d.reason }],
        }),
        onVersion,
      );
      return;
    }
    case 'ledger.submission-retracted.v1': {
      const d = e.data;
      putValue(index, d, at, null, null, () => null, onVersion);
      return;
    }
    case 'ledger.ledger-sealed.v1':
      put(index, 'seals', 'ledger', at, { reason: e.data.reason, event: refOf(e) }, onVersion);
      return;
    case 'ledger.principal-registered.v1':
    case 'ledger.grant-given.v1':
    case 'ledger.grant-revoked.v1':
    case 'ledger.api-key-issued.v1':
    case 'ledger.api-key-revoked.v1': {
      const { principalId } = e.data;
      const next = evolvePrincipal(principalOf(index, principalId), e as AccessEvent);
      put(index, 'principals', principalId, at, next, onVersion);
      return;
    }
    default:
      return;
  }
}
