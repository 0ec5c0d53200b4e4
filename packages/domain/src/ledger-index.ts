import type { PrincipalState } from './access.ts';
import { type AppendOnlyColumn, createRunColumn } from './column.ts';
import type { RecordedEvent } from './envelope.ts';
import type { LedgerEventBody } from './events.ts';
import type { Indicator, Methodology, Seal, Target, Unit, Value } from './facts.ts';
import type { History } from './history.ts';
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
 * Folding the log once (ledger-fold.ts) gives an index that answers "as of position P" for any P
 * by binary search (see view.ts), without replaying the log again; a projection that stored what
 * the fold produced restores it instead (ledger-restore.ts).
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
  /** Every version of every principal, with its grants and keys (access.ts). */
  readonly principals: Map<string, History<PrincipalState>>;
  /** The principal of each API key and of each bound OIDC identity (derived from `principals`). */
  readonly keyOwners: Map<string, string>;
  readonly identities: Map<string, string>;
}

export type FactKind =
  | 'units'
  | 'indicators'
  | 'methodologies'
  | 'targets'
  | 'seals'
  | 'values'
  | 'principals';

/** One version of one fact, as a projection stores it. */
export interface FactVersion {
  readonly kind: FactKind;
  readonly key: string;
  readonly position: number;
  readonly value: unknown;
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
  principals: new Map(),
  keyOwners: new Map(),
  identities: new Map(),
});

/** A principal as the index has it now (its latest version). */
export const principalOf = (index: LedgerIndex, principalId: string): PrincipalState | undefined =>
  index.principals.get(principalId)?.at(-1)?.value;

/** The value in force at `position`, with the submission and corrections behind it. */
export function valueDetailsAt(index: LedgerIndex, inForce: ValueInForce | undefined): Value | undefined {
  if (!inForce) return undefined;
  const details = index.valueDetails.get(inForce.position);
  if (!details) throw new RangeError(`no details for the value version at position ${inForce.position}`);
  return details;
}

export const headPosition = (index: LedgerIndex): number => index.positions.at(-1) ?? 0;

/** The ledger's seal, if the index has folded it. */
export const sealOf = (index: LedgerIndex): Seal | undefined => index.seals.get('ledger')?.at(-1)?.value;
