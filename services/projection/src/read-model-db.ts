import { DatabaseSync } from 'node:sqlite';
import {
  createLedgerIndex,
  type FactVersion,
  type LedgerIndex,
  restoreLogEntry,
  restoreVersion,
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
  close(): void;
}

/** One event of the log as the projection keeps it: where, when, and its RFC 9162 leaf hash. */
export interface LogEntry {
  readonly position: number;
  readonly recordedAtMs: number;
  readonly leafHash: Uint8Array;
}

// 3: versions are appended in log order with no index (loading reads them in rowid order); a
// (kind, key, position) key made every commit rewrite pages all over the table.
const SCHEMA_VERSION = 3;

export function openReadModelDb(path: string): ReadModelDb {
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
    db.exec('DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS log; DROP TABLE IF EXISTS versions;');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS log (
      position INTEGER PRIMARY KEY, recorded_at_ms INTEGER NOT NULL, leaf_hash BLOB NOT NULL
    );
    CREATE TABLE IF NOT EXISTS versions (
      position INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL
    );
  `);
  const version = (
    db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: number } | undefined
  )?.value;
  if (version === undefined)
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);

  const insertVersion = db.prepare('INSERT INTO versions (kind, key, position, value) VALUES (?, ?, ?, ?)');
  const insertLog = db.prepare(
    'INSERT OR IGNORE INTO log (position, recorded_at_ms, leaf_hash) VALUES (?, ?, ?)',
  );
  const setCheckpoint = db.prepare(
    "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );

  return {
    path,
    load: () => {
      const index = createLedgerIndex();
      const tree = createMerkleTree();
      for (const row of db
        .prepare('SELECT position, recorded_at_ms, leaf_hash FROM log ORDER BY position')
        .iterate()) {
        restoreLogEntry(index, row.position as number, row.recorded_at_ms as number);
        tree.append(row.leaf_hash as Uint8Array);
      }
      for (const row of db
        .prepare('SELECT kind, key, position, value FROM versions ORDER BY rowid')
        .iterate())
        restoreVersion(index, {
          kind: row.kind as FactVersion['kind'],
          key: row.key as string,
          position: row.position as number,
          value: JSON.parse(row.value as string),
        });
      const checkpoint =
        (db.prepare("SELECT value FROM meta WHERE key = 'checkpoint'").get() as { value: number } | undefined)
          ?.value ?? 0;
      return { index, tree, checkpoint };
    },
    commit: (versions, log, checkpoint, beforeCommit) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const v of versions) insertVersion.run(v.kind, v.key, v.position, JSON.stringify(v.value));
        for (const l of log) insertLog.run(l.position, l.recordedAtMs, l.leafHash);
        setCheckpoint.run(checkpoint);
        beforeCommit?.();
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    close: () => {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
