import { DatabaseSync } from 'node:sqlite';
import type { Checkpoints, SavedCheckpoint } from '@ledger/event-store';
import { configureConnection } from './schema.ts';

/** How many saves per name the trail keeps. */
const TRAIL = 256;

/**
 * Checkpoints in a small SQLite file (WAL). Its commits are not synced: a power loss may take the
 * last saves, and the relay then publishes those events again, which its consumers skip (at least
 * once). A save never gets ahead of the log: the relay publishes only what the store has synced.
 * Each save also goes to a trail of the last saves with the ids of their events, for the check
 * against the log at start.
 */
export function getSQLiteCheckpoints(path: string): Checkpoints {
  const db = new DatabaseSync(path);
  configureConnection(db, path, 'NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS trail (
      name TEXT NOT NULL, position INTEGER NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (name, position)
    ) WITHOUT ROWID;
  `);
  const get = db.prepare('SELECT position FROM checkpoints WHERE name = ?');
  const set = db.prepare(
    'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  const addTrail = db.prepare('INSERT OR REPLACE INTO trail (name, position, event_id) VALUES (?, ?, ?)');
  // A save after a restore goes back down: what lies above it is no longer the log's.
  const dropAbove = db.prepare('DELETE FROM trail WHERE name = ? AND position > ?');
  const trim = db.prepare(
    'DELETE FROM trail WHERE name = ? AND position < (SELECT min(position) FROM (SELECT position FROM trail WHERE name = ? ORDER BY position DESC LIMIT ?))',
  );
  const readTrail = db.prepare('SELECT position, event_id FROM trail WHERE name = ? ORDER BY position');
  return {
    load: async (name) => (get.get(name) as { position: number } | undefined)?.position ?? 0,
    trail: async (name) =>
      readTrail
        .all(name)
        .map(
          (row): SavedCheckpoint => ({ position: row.position as number, eventId: row.event_id as string }),
        ),
    save: async (name, position, eventId) => {
      db.exec('BEGIN');
      try {
        set.run(name, position);
        dropAbove.run(name, position);
        if (eventId !== undefined) {
          addTrail.run(name, position, eventId);
          trim.run(name, name, TRAIL);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    close: async () => db.close(),
  };
}
