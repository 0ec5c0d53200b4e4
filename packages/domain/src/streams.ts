import type { Period } from './period.ts';

/**
 * Stream names. The category comes first so that stores can filter by prefix; ':' cannot occur in
 * identifiers, so a name splits back into its parts unambiguously.
 */
export const streams = {
  unit: (unitId: string) => `unit:${unitId}`,
  indicator: (code: string) => `indicator:${code}`,
  methodology: (methodologyId: string) => `methodology:${methodologyId}`,
  target: (indicator: string, period: Period, unitId: string | null) =>
    `target:${indicator}:${period}:${unitId ?? '*'}`,
  /** Every submission, correction and retraction of one value: a unit's indicator for a period. */
  value: (unitId: string, indicator: string, period: Period) => `value:${unitId}:${indicator}:${period}`,
  /** The scores of one unit under one methodology for one period, as the scoring service computed them. */
  score: (methodologyId: string, period: Period, unitId: string) =>
    `score:${methodologyId}:${period}:${unitId}`,
} as const;
