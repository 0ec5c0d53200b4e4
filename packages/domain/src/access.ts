import { z } from 'zod';

/**
 * Who may do what: principals, their roles and grants. A principal is a stable, opaque id with a
 * display name: never an email address, since the log is public. Grants are ledger events on the
 * principal's stream, so who was allowed to do what as of a date is answered like every other
 * as-of question. Credentials are not facts: an API key's issue and revocation are recorded, its
 * secret's digest is not (packages/access).
 */

/** `svc:<name>` for a machine, `user:<name>` for a person. */
export const PrincipalId = z
  .string()
  .regex(
    /^(svc|user):[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be svc:<name> or user:<name>, the name 1–64 letters, digits, ".", "_" or "-" (never an email address)',
  );

/** The roles, each with what it allows (authorize.ts says how each command and action maps to them). */
export const ROLES = [
  /** Submissions for the units in scope. */
  'integrator',
  /** Corrections and retractions for the units in scope, with a reason. */
  'appraiser',
  /** Registering and revising the units in scope (a new unit: its parent in scope). */
  'unit-admin',
  /** Indicators and methodologies. */
  'indicator-admin',
  /** Targets for the units in scope (a target for every unit: an unscoped grant). */
  'target-admin',
  /** Writes that set recordedAt, where the time rule allows them (with the role for each command). */
  'importer',
  /** The ops reads, the access lists, and verify-replay. */
  'auditor',
  /** Rebuilds, checkpoints, the seal: no ledger facts. */
  'ops',
  /** Principals, grants and keys only: no bypass of the rules for any other write. */
  'access-admin',
] as const;

export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

/** How a request proved who it is, recorded in each event's metadata. */
export interface AuthMethod {
  /**
   * - `api-key`, `oidc`: a credential presented over HTTP;
   * - `kafka-topic`: a record on the principal's own commands topic, which only it may write;
   * - `local`: a process holding the store's file (the `ledger` CLI);
   * - `bootstrap`: the ledger's own first writes (its owner, the demo);
   * - `none`: LEDGER_AUTH=off, for development only.
   * `local`, `bootstrap` and `none` are not authorised against grants.
   */
  readonly method: 'api-key' | 'oidc' | 'kafka-topic' | 'local' | 'bootstrap' | 'none';
  readonly issuer?: string;
  readonly keyId?: string;
  readonly topic?: string;
}

/** Whether writes authenticated this way are authorised against the principal's grants. */
export const checksGrants = (auth: AuthMethod): boolean =>
  auth.method === 'api-key' || auth.method === 'oidc' || auth.method === 'kafka-topic';

/** An OIDC identity bound to a principal: the token's issuer and its subject (or client_id). */
export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
}

export interface Grant {
  readonly grantId: string;
  readonly role: Role;
  /** That unit and every unit below it in the unit tree in force; null: every unit. */
  readonly unitId: string | null;
  /** First and last day (YYYY-MM-DD, Asia/Ho_Chi_Minh) it is in force; null: open. */
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly grantedBy: string;
  readonly reason: string | null;
  readonly revoked: { readonly by: string; readonly reason: string | null } | null;
}

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly expiresAt: string | null;
  readonly issuedBy: string;
  readonly revoked: boolean;
}

/** A principal as the log has it at some position: who it is, its grants and its keys. */
export interface PrincipalState {
  readonly principalId: string;
  readonly name: string;
  readonly oidc: OidcIdentity | null;
  readonly grants: readonly Grant[];
  readonly keys: readonly ApiKeyRecord[];
}

/** Whether a grant is in force on a day (YYYY-MM-DD): not revoked, and within its days. */
export const inForce = (grant: Grant, day: string): boolean =>
  grant.revoked === null &&
  (grant.validFrom === null || grant.validFrom <= day) &&
  (grant.validTo === null || day <= grant.validTo);

/** The key of an OIDC identity in the lookups that find its principal. */
export const identityKey = (identity: OidcIdentity): string => `${identity.issuer}\u0000${identity.subject}`;

/** The events of a principal's stream, as `evolvePrincipal` takes them. */
export type AccessEvent =
  | {
      readonly type: 'ledger.principal-registered.v1';
      readonly data: { principalId: string; name: string; oidc: OidcIdentity | null };
    }
  | {
      readonly type: 'ledger.grant-given.v1';
      readonly data: Omit<Grant, 'revoked'> & { principalId: string };
    }
  | {
      readonly type: 'ledger.grant-revoked.v1';
      readonly data: { grantId: string; principalId: string; revokedBy: string; reason: string | null };
    }
  | {
      readonly type: 'ledger.api-key-issued.v1';
      readonly data: { keyId: string; principalId: string; expiresAt: string | null; issuedBy: string };
    }
  | {
      readonly type: 'ledger.api-key-revoked.v1';
      readonly data: { keyId: string; principalId: string; revokedBy: string; reason: string | null };
    };

/** The commands that manage access (recorded without sealing an open ledger: time.ts). */
export const ACCESS_COMMAND_TYPES: ReadonlySet<string> = new Set([
  'principal',
  'grant',
  'grant-revocation',
  'api-key',
  'api-key-revocation',
]);

export const ACCESS_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ledger.principal-registered.v1',
  'ledger.grant-given.v1',
  'ledger.grant-revoked.v1',
  'ledger.api-key-issued.v1',
  'ledger.api-key-revoked.v1',
]);

/**
 * The principal after one event of its stream: the one step both the write model and the as-of
 * index take, so that what ingestion authorises with and what an auditor reads are the same.
 * Returns a new object; `prev` is left as it was (forks and histories keep it).
 */
export function evolvePrincipal(prev: PrincipalState | undefined, event: AccessEvent): PrincipalState {
  const e = event;
  if (e.type === 'ledger.principal-registered.v1')
    return { principalId: e.data.principalId, name: e.data.name, oidc: e.data.oidc, grants: [], keys: [] };
  if (!prev) throw new RangeError(`${e.type} for ${e.data.principalId}, which is not registered`);
  switch (e.type) {
    case 'ledger.grant-given.v1': {
      const { principalId: _, ...grant } = e.data;
      return { ...prev, grants: [...prev.grants, { ...grant, revoked: null }] };
    }
    case 'ledger.grant-revoked.v1':
      return {
        ...prev,
        grants: prev.grants.map((g) =>
          g.grantId === e.data.grantId
            ? { ...g, revoked: { by: e.data.revokedBy, reason: e.data.reason } }
            : g,
        ),
      };
    case 'ledger.api-key-issued.v1':
      return {
        ...prev,
        keys: [
          ...prev.keys,
          { keyId: e.data.keyId, expiresAt: e.data.expiresAt, issuedBy: e.data.issuedBy, revoked: false },
        ],
      };
    case 'ledger.api-key-revoked.v1':
      return {
        ...prev,
        keys: prev.keys.map((k) => (k.keyId === e.data.keyId ? { ...k, revoked: true } : k)),
      };
  }
}
