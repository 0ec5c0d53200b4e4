/**
 * Where API-key digests live: a small SQLite file of the host, apart from the event log. A digest
 * is never an event (the log is public and permanent) and never served.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { toRecordedAt } from '@ledger/domain';
import { CREDENTIAL_DIGEST_BYTES, type CredentialStore, isCredentialKeyId } from '@ledger/event-store';
import { configureConnection, migrate, retryWhileBusy } from './schema.ts';

/** The schema this code reads and writes, kept in `PRAGMA user_version`. */
const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS api_keys (
    key_id       TEXT NOT NULL PRIMARY KEY,
    principal_id TEXT NOT NULL,
    digest       BLOB NOT NULL,
    issued_at    TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
  ) STRICT;
`;

interface Row {
  key_id: string;
  principal_id: string;
  digest: Uint8Array;
  issued_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/**
 * Opens (or creates, with mode 0600, in a directory created 0700 if missing) the credential store
 * at `path`. Several processes of one host may open the same file: it is in WAL mode and a writer
 * waits up to 5 s for another's lock. `synchronous=FULL`, so that a revocation that returned
 * survives a power loss.
 *
 * Throws, naming the path, if an existing file grants any permission to group or others. SQLite
 * gives its -wal and -shm files the database file's mode, so they are 0600 too.
 */
export function getSQLiteCredentials(path: string): CredentialStore {
  ensurePrivateFile(path);
  const db = new DatabaseSync(path);
  try {
    configureConnection(db, path, 'FULL');
    retryWhileBusy(() => migrate(db, `credential store ${path}`, SCHEMA_V1, SCHEMA_VERSION));
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = {
    insert: db.prepare(
      'INSERT INTO api_keys (key_id, principal_id, digest, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    get: db.prepare(
      'SELECT key_id, principal_id, digest, issued_at, expires_at, revoked_at FROM api_keys WHERE key_id = ?',
    ),
    revoke: db.prepare('UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ?'),
  };

  return {
    path,
    put(credential) {
      const { keyId, principalId, digest } = credential;
      if (!isCredentialKeyId(keyId)) throw new TypeError(`put: ${JSON.stringify(keyId)} is not a key id`);
      if (typeof principalId !== 'string' || principalId === '') {
        throw new TypeError('put: the principal id is a non-empty string');
      }
      if (!(digest instanceof Uint8Array) || digest.length !== CREDENTIAL_DIGEST_BYTES) {
        throw new TypeError(`put: the digest is ${CREDENTIAL_DIGEST_BYTES} bytes`);
      }
      const issuedAt = instant('issuedAt', credential.issuedAt);
      const expiresAt = credential.expiresAt === null ? null : instant('expiresAt', credential.expiresAt);
      statements.insert.run(keyId, principalId, digest, issuedAt, expiresAt);
    },
    get(keyId) {
      if (!isCredentialKeyId(keyId)) return undefined;
      const row = statements.get.get(keyId) as Row | undefined;
      if (!row) return undefined;
      return {
        keyId: row.key_id,
        principalId: row.principal_id,
        digest: row.digest,
        issuedAt: row.issued_at,
        expiresAt: row.expires_at,
        revokedAt: row.revoked_at,
      };
    },
    revoke(keyId, at) {
      if (!isCredentialKeyId(keyId)) return false;
      return Number(statements.revoke.run(instant('at', at), keyId).changes) > 0;
    },
    close() {
      if (db.isOpen) db.close();
    },
  };
}

function instant(name: string, value: string): string {
  const recorded = toRecordedAt(value);
  if (recorded === undefined) {
    throw new TypeError(`${name}: ${JSON.stringify(value)} is not an ISO-8601 date-time with an offset`);
  }
  return recorded;
}

/** Creates the file 0600 before SQLite does (SQLite would use 0644), or checks an existing one. */
function ensurePrivateFile(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`credential store ${path}: not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`credential store ${path}: mode ${mode} lets group or others at it; it must be 0600`);
    }
  } finally {
    closeSync(fd);
  }
}
