import { renameSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import {
  createLedgerIndex,
  type FactVersion,
  type LedgerIndex,
  restoreLogEntry,
  restoreValueVersion,
  restoreVersion,
  type Value,
  type ValueDetails,
} from '@ledger/domain';
import { configureConnection } from '@ledger/event-store-sqlite';
import { createMerkleTree, type MerkleTree } from '@ledger/transparency-log';

/**
 * The as-of index, persisted: every fact version and every log entry the projection has applied,
 * with its checkpoint, in one SQLite file. A batch's versions, log entries and checkpoint commit in
 * one transaction, so a crash leaves the file at a batch boundary and a redelivered event is
 * recognised by its position.
 */
export interface ReadModelDb {
  /** Where the file is now (moveTo changes it). */
  readonly path: string;
  /** Loads the index, the Merkle tree over the log, and the checkpoint (0 for a new file). */
  load(): { index: LedgerIndex; tree: MerkleTree; checkpoint: number };
  /** Commits one batch: the versions and log entries (with their leaf hashes) it added and the new checkpoint. */
  commit(
    versions: readonly FactVersion[],
    log: readonly LogEntry[],
    checkpoint: number,
    beforeCommit?: () => void,
  ): void;
  /**
   * Moves the file to `path`, replacing what is there (a rebuild's new file taking the old one's
   * place), and goes on reading and writing it there: the index and tree it loaded keep working.
   */
  moveTo(path: string): void;
  /** The positions of the value events a principal wrote after `after`, ascending, `limit` at most. */
  writesBy(actor: string, after: number, limit: number): number[];
  close(): void;
}

/** One event of the log as the projection keeps it: its leaf index, where, when, and its RFC 9162 leaf hash. */
export interface LogEntry {
  readonly leaf: number;
  readonly position: number;
  readonly recordedAtMs: number;
  readonly leafHash: Uint8Array;
  /** Who wrote it, for the value events (submissions, corrections, retractions): `writesBy` finds them. */
  readonly writer?: string;
}

// 3: versions are appended in log order (a (kind, key, position) key made every commit rewrite
// pages all over the table). 4: keyed by position (one version per event), so the details behind a
// value are read back by position, and with the value's number in `amount`, so loading the index
// does not parse them; the log keyed by leaf index, so the Merkle tree reads its lower levels back.
// 5: who wrote each value event (`writes`), for a principal's submissions.
const SCHEMA_VERSION = 5;

export function openReadModelDb(path: string): ReadModelDb {
  let file = path;
  let db = openFile(file);
  let statements = prepare(db);
  /** Details folded but not committed yet, by position; the rest are read from the file. */
  const pending = new Map<number, Value>();
  const details: ValueDetails = {
    keeps: true,
    put: (position, value) => pending.set(position, value),
    get: (position) => {
      const found = pending.get(position);
      if (found) return found;
      const row = statements.selectDetails.get(position) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as Value) : undefined;
    },
  };
  const leaves = (from: number, to: number) =>
    statements.selectLeaves.all(from, to).map((row) => row.leaf_hash as Uint8Array);
  const close = () => {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
  };

  return {
    get path() {
      return file;
    },
    load: () => {
      const index = createLedgerIndex(details);
      const tree = createMerkleTree([], { leaves });
      for (const row of db
        .prepare('SELECT position, recorded_at_ms, leaf_hash FROM log ORDER BY leaf')
        .iterate()) {
        restoreLogEntry(index, row.position as number, row.recorded_at_ms as number);
        tree.append(row.leaf_hash as Uint8Array);
      }
      for (const row of db
        .prepare(
          "SELECT kind, key, position, amount, iif(kind = 'values', NULL, value) AS value FROM versions ORDER BY position",
        )
        .iterate()) {
        const { kind, key, position } = row as { kind: FactVersion['kind']; key: string; position: number };
        // A value's submission id stays in its details (this index keeps them), read when needed.
        if (kind === 'values') restoreValueVersion(index, key, position, row.amount as number | null, null);
        else restoreVersion(index, { kind, key, position, value: JSON.parse(row.value as string) });
      }
      const checkpoint =
        (db.prepare("SELECT value FROM meta WHERE key = 'checkpoint'").get() as { value: number } | undefined)
          ?.value ?? 0;
      return { index, tree, checkpoint };
    },
    commit: (versions, log, checkpoint, beforeCommit) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const v of versions)
          statements.insertVersion.run(
            v.position,
            v.kind,
            v.key,
            v.kind === 'values' ? ((v.value as Value | null)?.value ?? null) : null,
            JSON.stringify(v.value),
          );
        for (const l of log) {
          statements.insertLog.run(l.leaf, l.position, l.recordedAtMs, l.leafHash);
          if (l.writer !== undefined) statements.insertWrite.run(l.position, l.writer);
        }
        statements.setCheckpoint.run(checkpoint);
        beforeCommit?.();
        db.exec('COMMIT');
        pending.clear();
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    moveTo: (target) => {
      close();
      for (const suffix of ['-wal', '-shm']) rmSync(target + suffix, { force: true });
      renameSync(file, target);
      file = target;
      db = openFile(file);
      statements = prepare(db);
    },
    writesBy: (actor, after, limit) =>
      statements.selectWrites.all(actor, after, limit).map((row) => row.position as number),
    close,
  };
}

/** Deletes a read model's file with its WAL and shared-memory files; what is not there is skipped. */
export function removeReadModel(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/** Opens the file, dropping what another schema version wrote, and creates the tables. */
function openFile(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  // NORMAL: a power loss may lose the last batches, which are then applied again from the log.
  configureConnection(db, path, 'NORMAL');
  const existing = (() => {
    try {
      return (
        db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: number } | undefined
      )?.value;
    } catch {
      return undefined;
    }
  })();
  // A read model is derived: one written by another version of this code is dropped and rebuilt.
  if (existing !== undefined && existing !== SCHEMA_VERSION)
    db.exec(
      'DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS log; DROP TABLE IF EXISTS versions; DROP TABLE IF EXISTS writes;',
    );
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS log (
      leaf INTEGER PRIMARY KEY, position INTEGER NOT NULL, recorded_at_ms INTEGER NOT NULL, leaf_hash BLOB NOT NULL
    );
    CREATE TABLE IF NOT EXISTS versions (
      position INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, amount REAL, value TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS writes (position INTEGER PRIMARY KEY, actor TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS writes_by_actor ON writes (actor, position);
  `);
  const version = (
    db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: number } | undefined
  )?.value;
  if (version === undefined)
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  return db;
}

function prepare(db: DatabaseSync) {
  return {
    insertVersion: db.prepare(
      'INSERT INTO versions (position, kind, key, amount, value) VALUES (?, ?, ?, ?, ?)',
    ),
    selectDetails: db.prepare("SELECT value FROM versions WHERE position = ? AND kind = 'values'"),
    insertLog: db.prepare('INSERT INTO log (leaf, position, recorded_at_ms, leaf_hash) VALUES (?, ?, ?, ?)'),
    insertWrite: db.prepare('INSERT INTO writes (position, actor) VALUES (?, ?)'),
    selectWrites: db.prepare(
      'SELECT position FROM writes WHERE actor = ? AND position > ? ORDER BY position LIMIT ?',
    ),
    selectLeaves: db.prepare('SELECT leaf_hash FROM log WHERE leaf >= ? AND leaf < ? ORDER BY leaf'),
    setCheckpoint: db.prepare(
      "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
  };
}
