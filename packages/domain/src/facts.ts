import type { Direction, Measure, MethodologyIndicator, UnitLevel } from './model.ts';
import type { Period } from './period.ts';

/** The facts the ledger folds its events into. */

export interface UnitName {
  /** From this day on (valid time); null for the unit's whole life. */
  readonly from: string | null;
  readonly name: string;
  readonly parentId: string | null;
}

export interface Unit {
  readonly unitId: string;
  readonly level: UnitLevel;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly successorId: string | null;
  /** Names and parents over the unit's life, ascending by `from`. */
  readonly names: readonly UnitName[];
}

export interface Indicator {
  readonly code: string;
  readonly name: string;
  readonly measure: Measure;
  readonly direction: Direction;
}

export interface Methodology {
  readonly methodologyId: string;
  readonly version: number;
  readonly name: string;
  readonly level: UnitLevel;
  /** The first period this version scores; null: every period. */
  readonly appliesFrom: Period | null;
  readonly indicators: readonly MethodologyIndicator[];
}

/** A reference to the event behind a fact, for auditors. */
export interface EventRef {
  readonly eventId: string;
  readonly type: string;
  readonly position: number;
  readonly recordedAt: string;
  readonly actor: string;
}

export interface Target {
  readonly indicator: string;
  readonly period: Period;
  readonly unitId: string | null;
  readonly value: number;
  readonly authority: string;
  readonly reason: string | null;
  readonly event: EventRef;
}

/** The ledger's seal: from its event on, every write is recorded at the ledger's clock (time.ts). */
export interface Seal {
  readonly reason: string | null;
  readonly event: EventRef;
}

/** The value in force for one unit, indicator and period, and the events that made it so. */
export interface Value {
  readonly submissionId: string;
  readonly value: number;
  readonly source: string | null;
  readonly reportedAt: string | null;
  readonly submission: EventRef;
  readonly corrections: readonly (EventRef & { readonly value: number; readonly reason: string })[];
}

/** A unit's name and parent for a period: the version in effect on the period's last day. */
export function unitNameFor(unit: Unit, periodEnd: string): UnitName {
  let current = unit.names[0] as UnitName;
  for (const n of unit.names) if (n.from === null || n.from <= periodEnd) current = n;
  return current;
}

/** Whether the unit existed on any day of [start, end]. */
export const unitExistedDuring = (
  unit: Pick<Unit, 'validFrom' | 'validTo'>,
  start: string,
  end: string,
): boolean =>
  (unit.validFrom === null || unit.validFrom <= end) && (unit.validTo === null || unit.validTo >= start);
