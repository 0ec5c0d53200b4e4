import { type Grant, inForce } from './access.ts';
import { versionAt } from './history.ts';
import { ledgerDay } from './instants.ts';
import type { LedgerIndex } from './ledger-index.ts';
import { positionAsOf } from './view.ts';

/** Who may do what as the as-of index has it: what the access reads serve (API and CLI). */

export interface PrincipalRow {
  readonly principalId: string;
  readonly name: string;
  /** The roles of its grants in force on the day, each once, in the order they were first granted. */
  readonly roles: readonly string[];
}

/** Every principal as the log has it now, with the roles in force on `day`: who can do anything at all. */
export function principalsOf(index: LedgerIndex, day: string): PrincipalRow[] {
  return [...index.principals.values()]
    .map((history) => history.at(-1)?.value)
    .filter((p) => p !== undefined)
    .map((p) => ({
      principalId: p.principalId,
      name: p.name,
      roles: [...new Set(p.grants.filter((g) => inForce(g, day)).map((g) => g.role))],
    }))
    .sort((a, b) => (a.principalId < b.principalId ? -1 : a.principalId > b.principalId ? 1 : 0));
}

export interface GrantRow extends Omit<Grant, 'revoked'> {
  readonly principalId: string;
}

/**
 * The grants in force at an instant: as of the log position it reaches (a grant recorded later, or
 * a revocation recorded later, is not yet known) and on its day in Asia/Ho_Chi_Minh (validFrom and
 * validTo are days). This is what authorisation at that instant would have seen.
 */
export function grantsAsOf(index: LedgerIndex, atMs: number, principalId?: string) {
  const position = positionAsOf(index, atMs);
  const day = ledgerDay(atMs);
  const grants: GrantRow[] = [];
  const ids = [...index.principals.keys()]
    .filter((id) => principalId === undefined || id === principalId)
    .sort();
  for (const id of ids) {
    const principal = versionAt(index.principals.get(id), position);
    for (const { revoked: _, ...grant } of principal?.grants.filter((g) => inForce(g, day)) ?? [])
      grants.push({ principalId: id, ...grant });
  }
  return { position, day, grants };
}
