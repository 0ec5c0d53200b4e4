import { z } from 'zod';

/**
 * The ledger's numeric ranges, in one place (docs/api.md, "Numbers"). They are chosen so that
 * everything derived from a number — points, group subtotals, totals, their rounding for display —
 * stays finite and exact enough to rank: the largest possible total is 10^6 points, and the
 * largest product scoring forms (a value times a factor) is 10^21, far from overflow.
 *
 * As for text, the door (commands) holds the ranges; the log (event schemas) needs only finite
 * numbers, which every earlier version also wrote.
 */
export const LIMITS = {
  /** A value or target, in absolute value: a count of dossiers, an amount in đồng. */
  magnitude: 1e15,
  /** A scaled rule's factor, in absolute value. */
  factor: 1e6,
  /** An indicator's max points in a methodology. */
  maxPoints: 10_000,
  /** Indicators in one methodology. */
  indicators: 200,
  /** The most points a methodology can give a unit. */
  possibleTotal: 1e6,
} as const;

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

/** A finite number, as the log holds it. */
export const FiniteNumber = finite();

/** A value or target at the door: finite, at most 10^15 in absolute value. */
export const Amount = finite().refine(
  (n) => Math.abs(n) <= LIMITS.magnitude,
  'must be between -10^15 and 10^15',
);

/** A scaled rule's factor at the door. */
export const Factor = finite().refine(
  (n) => Math.abs(n) <= LIMITS.factor,
  'must be between -1000000 and 1000000',
);

/** An attainment rule's threshold at the door: greater than 0, at most 10^15. */
export const Threshold = finite()
  .refine((n) => n > 0, 'must be greater than 0')
  .refine((n) => n <= LIMITS.magnitude, 'must be at most 10^15');

/** Max points at the door: greater than 0, at most 10000. */
export const MaxPoints = finite()
  .refine((n) => n > 0, 'must be greater than 0')
  .refine((n) => n <= LIMITS.maxPoints, 'must be at most 10000');
