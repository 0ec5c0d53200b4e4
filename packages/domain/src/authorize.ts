import { type Grant, inForce, type PrincipalState, type Role } from './access.ts';
import type { Command } from './commands.ts';
import { Rejection } from './errors.ts';
import type { MapLike, WriteState } from './write-state.ts';

/**
 * Who may do what, in one place. A command is authorised against the ledger's state, never the
 * request: a correction's unit is the unit of the submission it corrects, as the write state has
 * it (OWASP API1, broken object-level authorisation). Deny by default: a command or action needs a
 * grant of its role, in force on the day it is decided, whose scope holds its unit.
 */

/** What a command needs: a grant of `role` whose scope holds `unitId` (null: an unscoped grant; undefined: any grant of the role). */
export interface Requirement {
  readonly role: Role;
  readonly unitId: string | null | undefined;
  /** The field of the command the requirement comes from, for the refusal. */
  readonly path: string;
}

/** The actions on the ledger that are not commands, and the roles that may take them. */
export const ACTIONS = {
  /** The ops reads: lag, followers, rebuild states. */
  'ops-read': ['auditor', 'ops'],
  'verify-replay': ['auditor', 'ops'],
  rebuild: ['ops'],
  checkpoint: ['ops'],
  /** Rotating the key that signs the log's checkpoints. */
  'key-rotation': ['ops'],
  seal: ['ops'],
  /** The principals and grants, as of any date. */
  'access-read': ['auditor', 'access-admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof ACTIONS;

/** The requirements of one command, read against the state it is decided on. */
export function requirementsOf(command: Command, state: WriteState): Requirement[] {
  switch (command.type) {
    case 'unit': {
      const parentId = command.body.parentId ?? null;
      return [{ role: 'unit-admin', unitId: parentId, path: parentId ? 'parentId' : 'id' }];
    }
    case 'unit-revision': {
      const needs: Requirement[] = [{ role: 'unit-admin', unitId: command.body.unitId, path: 'unitId' }];
      if (command.body.parentId !== undefined)
        needs.push({ role: 'unit-admin', unitId: command.body.parentId, path: 'parentId' });
      return needs;
    }
    case 'indicator':
      return [{ role: 'indicator-admin', unitId: null, path: 'code' }];
    case 'methodology':
      return [{ role: 'indicator-admin', unitId: null, path: 'id' }];
    case 'target': {
      const unitId = command.body.unitId ?? null;
      return [{ role: 'target-admin', unitId, path: unitId ? 'unitId' : 'indicator' }];
    }
    case 'submission':
      return [{ role: 'integrator', unitId: command.body.unitId, path: 'unitId' }];
    case 'correction':
    case 'retraction': {
      const submission = state.submissions.get(command.body.submissionId);
      return [{ role: 'appraiser', unitId: submission?.unitId, path: 'submissionId' }];
    }
    case 'principal':
    case 'grant':
    case 'grant-revocation':
    case 'api-key':
    case 'api-key-revocation':
      return [{ role: 'access-admin', unitId: null, path: '' }];
  }
}

/** Whether `unitId` is the grant's unit or below it in the unit tree in force. */
export function inScope(
  grant: Grant,
  unitId: string | null | undefined,
  units: MapLike<string, { parentId: string | null }>,
): boolean {
  if (grant.unitId === null || unitId === undefined) return true;
  if (unitId === null) return false;
  // Bounded: the tree is checked for cycles at the door, and no tree is deeper than its units.
  for (let at: string | null = unitId, steps = 0; at !== null && steps < 10_000; steps++) {
    if (at === grant.unitId) return true;
    at = units.get(at)?.parentId ?? null;
  }
  return false;
}

const refused = (principal: PrincipalState | undefined, id: string, need: Requirement, day: string) =>
  new Rejection(
    'forbidden',
    `${principal?.principalId ?? id} holds no ${need.role} grant${
      need.unitId ? ` for unit ${need.unitId}` : need.unitId === null ? ' for every unit' : ''
    } in force on ${day}`,
    [
      {
        path: need.path,
        message: `needs the ${need.role} role${need.unitId ? ` for unit ${need.unitId}` : ''}`,
      },
    ],
  );

/**
 * Authorises one command for a principal, in the fork it is decided in (so a batch that registers a
 * unit and then submits for it is judged with that unit in the tree). Throws a Rejection of kind
 * forbidden.
 */
export function authorize(principalId: string, command: Command, state: WriteState, day: string): void {
  check(principalId, requirementsOf(command, state), state, day);
  // Four eyes: an access admin gives grants to others, never to itself, so that it cannot make
  // itself an integrator or an appraiser and bypass the write rules.
  if (command.type === 'grant' && command.body.principalId === principalId)
    throw new Rejection('forbidden', `${principalId} may not give a grant to itself`, [
      { path: 'principalId', message: 'a principal may not give a grant to itself' },
    ]);
}

/** Authorises a write that sets recordedAt (an import): it also needs the importer role. */
export function authorizeImport(principalId: string, state: WriteState, day: string): void {
  check(principalId, [{ role: 'importer', unitId: null, path: 'recordedAt' }], state, day);
}

function check(principalId: string, needs: readonly Requirement[], state: WriteState, day: string): void {
  const principal = state.principals.get(principalId);
  const grants = principal?.grants.filter((g) => inForce(g, day)) ?? [];
  for (const need of needs)
    if (!grants.some((g) => g.role === need.role && inScope(g, need.unitId, state.units)))
      throw refused(principal, principalId, need, day);
}

/** Authorises an action that is not a command: it needs an unscoped grant of one of its roles. */
export function authorizeAction(principal: PrincipalState | undefined, action: Action, day: string): void {
  const roles: readonly Role[] = ACTIONS[action];
  const ok = principal?.grants.some((g) => inForce(g, day) && g.unitId === null && roles.includes(g.role));
  if (!ok)
    throw new Rejection(
      'forbidden',
      `${principal?.principalId ?? 'this principal'} holds no ${roles.join(' or ')} grant for every unit in force on ${day}`,
    );
}
