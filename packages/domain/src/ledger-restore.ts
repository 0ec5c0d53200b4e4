/**
 * Restoring an index from what a projection stored: the fact versions a fold handed over and the
 * log entries, each in log order, without folding the log again. The fold records every version
 * through `restoreVersion` as well, so an index restored from its versions is the index folded.
 */
import { identityKey, type PrincipalState } from './access.ts';
import type { Target, Unit, Value } from './facts.ts';
import { type History, record } from './history.ts';
import { valueKeyParts } from './keys.ts';
import type { FactVersion, LedgerIndex } from './ledger-index.ts';
import type { Period } from './period.ts';

/** Restores one version of a fact, with the lookups derived from it (`unitsByParent`, the target sets). */
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
  if (kind === 'principals') {
    const principal = value as PrincipalState;
    if (principal.oidc) index.identities.set(identityKey(principal.oidc), key);
    for (const k of principal.keys) index.keyOwners.set(k.keyId, key);
  }
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
  const { unitId, indicator, period } = valueKeyParts(key);
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
