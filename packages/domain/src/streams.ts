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
  /**
   * Every submission, correction and retraction of one value: a unit's indicator for a period.
   * The period comes before the unit because most appends open a new value stream of the latest
   * period: with the period first, a store's index by stream name takes them at one place instead
   * of at every unit's (at 10 M events the SQLite store appends 111 k events/s with the period
   * first, 67 k with the unit first: docs/benchmarks.md).
   */
  value: (unitId: string, indicator: string, period: Period) => `value:${period}:${unitId}:${indicator}`,
  /** A principal, its grants and its keys (access.ts). Principal ids hold a ':' themselves (`svc:…`). */
  principal: (principalId: string) => `principal:${principalId}`,
  /** The scores of one unit under one methodology for one period, as the scoring service computed them. */
  score: (methodologyId: string, period: Period, unitId: string) =>
    `score:${methodologyId}:${period}:${unitId}`,
} as const;

export interface ValueStreamParts {
  readonly unitId: string;
  readonly indicator: string;
  readonly period: string;
}

/** The parts of a value stream's name, or undefined for a stream of another category. */
export function valueStreamParts(streamId: string): ValueStreamParts | undefined {
  if (!streamId.startsWith('value:')) return undefined;
  const [, period, unitId, indicator] = streamId.split(':') as [string, string, string, string];
  return { unitId, indicator, period };
}

/**
 * The streams of the ledger's own bookkeeping: not decided on by commands, but named here so that
 * each name has one home.
 */
export const bookkeepingStreams = {
  /** The seal of the ledger (time.ts): at most one event. */
  seal: 'ledger:seal',
  /** The scoring service's checkpoint, recorded with its scores. */
  scoringCheckpoint: 'checkpoint:scoring',
  /** The transparency log's signed checkpoints. */
  logCheckpoints: 'tlog:checkpoints',
  /** An Idempotency-Key's write, by the key's SHA-256 (hex). */
  idempotency: (keyHash: string) => `idempotency:${keyHash}`,
} as const;

/** A stream's category: what comes before its first ':' ('' for a name without one). */
export const categoryOf = (streamId: string): string => {
  const colon = streamId.indexOf(':');
  return colon < 0 ? '' : streamId.slice(0, colon);
};

/** The categories of the streams that commands decide on: the facts, each named as in `streams`, and the seal. */
const DECIDED = new Set<string>([
  ...([
    'unit',
    'indicator',
    'methodology',
    'target',
    'value',
    'principal',
  ] as const satisfies readonly (keyof typeof streams)[]),
  categoryOf(bookkeepingStreams.seal),
]);

/** Whether commands decide on this stream, so that a writer must know its revision. */
export const isDecidedStream = (streamId: string): boolean => DECIDED.has(categoryOf(streamId));
