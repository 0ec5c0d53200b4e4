import type { Period } from './period.ts';

/**
 * The keys of the tuples the ledger looks things up by in memory, one helper for each tuple. Parts
 * are joined with U+0000, which no id, code or period holds (the door refuses control characters),
 * so a key splits back into exactly its parts. Value keys are also stored in `projection.sqlite`:
 * their form is part of the read model's file format.
 */
const SEPARATOR = '\u0000';

/** A value: a unit's indicator for a period. */
export const valueKey = (unitId: string, indicator: string, period: Period): string =>
  `${unitId}${SEPARATOR}${indicator}${SEPARATOR}${period}`;

/** The parts of a value key. */
export function valueKeyParts(key: string): { unitId: string; indicator: string; period: Period } {
  const [unitId = '', indicator = '', period = ''] = key.split(SEPARATOR);
  return { unitId, indicator, period };
}

/** A target: an indicator for a period, for one unit or (null) for every unit. */
export const targetKey = (indicator: string, period: Period, unitId: string | null): string =>
  `${indicator}${SEPARATOR}${period}${SEPARATOR}${unitId ?? ''}`;

/** A score: a unit under a methodology for a period. */
export const scoreKey = (k: { methodologyId: string; period: Period; unitId: string }): string =>
  `${k.methodologyId}${SEPARATOR}${k.period}${SEPARATOR}${k.unitId}`;

/** A version of a methodology. */
export const methodologyVersionKey = (methodologyId: string, version: number): string =>
  `${methodologyId}${SEPARATOR}${version}`;
