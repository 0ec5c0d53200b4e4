export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * Why the ledger refused a command. The kind says what a caller can do about it:
 * invalid — fix the input; not-found — the addressed resource does not exist;
 * conflict — the ledger's state forbids it now (duplicate, stale revision, time going backwards);
 * unknown-reference — the input names a unit, indicator, methodology or submission the ledger lacks;
 * key-reused — an idempotency key came back with a different request: use a new key;
 * unavailable — the ledger cannot answer yet (a projection catching up): try again later;
 * unauthenticated — no credential, or one the ledger does not take: present a valid one;
 * forbidden — the principal holds no grant for this: ask an access admin.
 * Only the edge maps a kind to a protocol's code (HTTP: packages/http/src/problem.ts).
 */
export type RejectionKind =
  | 'invalid'
  | 'not-found'
  | 'conflict'
  | 'unknown-reference'
  | 'key-reused'
  | 'unavailable'
  | 'unauthenticated'
  | 'forbidden';

export class Rejection extends Error {
  readonly kind: RejectionKind;
  readonly errors: readonly FieldError[];

  constructor(kind: RejectionKind, message: string, errors: readonly FieldError[] = []) {
    super(message);
    this.name = 'Rejection';
    this.kind = kind;
    this.errors = errors;
  }

  /** The same rejection with its field paths placed under `prefix` (a batch item, say). */
  under(prefix: string): Rejection {
    return new Rejection(
      this.kind,
      this.message,
      this.errors.map((e) => ({ path: e.path ? `${prefix}.${e.path}` : prefix, message: e.message })),
    );
  }
}

export const invalid = (path: string, message: string) =>
  new Rejection('invalid', message, [{ path, message }]);
export const conflict = (path: string, message: string) =>
  new Rejection('conflict', message, [{ path, message }]);
export const unknownReference = (path: string, message: string) =>
  new Rejection('unknown-reference', message, [{ path, message }]);
