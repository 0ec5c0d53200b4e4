import type { DatabaseSync } from 'node:sqlite';

/** The schema this code reads and writes, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    recorded_at    TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  ) STRICT;
`;

/**
 * Sets a connection up for sharing a file between processes: a busy timeout, WAL, and the given
 * durability. Used by the store, the checkpoints, and the projection's read model.
 */
export function configureConnection(db: DatabaseSync, path: string, synchronous: 'FULL' | 'NORMAL'): void {
  // Another process holding the write lock makes us wait (up to 5 s) instead of failing with SQLITE_BUSY.
  db.exec('PRAGMA busy_timeout = 5000');
  // Only takes effect on a new file (WAL fixes the page size): 16 KiB pages write an append's rows
  // and index entries in fewer, fuller pages than the default 4 KiB (benchmark 1a: see docs/benchmarks.md).
  db.exec('PRAGMA page_size = 16384');
  if (path !== ':memory:') {
    // Switching a fresh file to WAL while another process does the same can fail with SQLITE_BUSY
    // without consulting busy_timeout (SQLite's deadlock avoidance), hence the retry.
    const row = retryWhileBusy(() => db.prepare('PRAGMA journal_mode = WAL').get()) as
      | { journal_mode: string }
      | undefined;
    if (row?.journal_mode !== 'wal') throw new Error(`could not put ${path} in WAL mode`);
  }
  db.exec(`PRAGMA synchronous = ${synchronous}`);
}

/**
 * Opens the connection the way the store needs it and creates the schema if the file is new.
 * Safe when several processes open a fresh file at once: creation runs under the write lock.
 */
export function prepareDatabase(db: DatabaseSync, path: string, synchronous: 'FULL' | 'NORMAL'): void {
  configureConnection(db, path, synchronous);
  retryWhileBusy(() => createSchema(db, path));
}

function createSchema(db: DatabaseSync, path: string): void {
  migrate(db, `${path} (event store)`, SCHEMA_V1, SCHEMA_VERSION);
}

/**
 * Creates a file's schema under the write lock if it is new, or checks that it is the version this
 * code knows (`PRAGMA user_version`). `what` names the file in the error.
 */
export function migrate(db: DatabaseSync, what: string, schema: string, version: number): void {
  if (userVersion(db) === version) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const found = userVersion(db);
    if (found === 0) {
      db.exec(schema);
      db.exec(`PRAGMA user_version = ${version}`);
    } else if (found !== version) {
      throw new Error(`${what} has schema version ${found}; this code knows ${version}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/** Runs a one-off setup step, retrying for up to 5 s while another connection holds the lock. */
export function retryWhileBusy<T>(step: () => T): T {
  const deadline = Date.now() + 5_000;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return step();
    } catch (error) {
      const code = (error as { errcode?: unknown }).errcode;
      const busy =
        typeof code === 'number' && ((code & 0xff) === SQLITE_BUSY || (code & 0xff) === SQLITE_LOCKED);
      if (!busy || Date.now() > deadline) throw error;
      // Opening is synchronous, so wait synchronously; this only happens at startup.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}
