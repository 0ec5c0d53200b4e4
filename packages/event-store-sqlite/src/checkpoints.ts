import { DatabaseSync } from 'node:sqlite';
import type { Checkpoints } from '@ledger/event-store';
import { configureConnection } from './schema.ts';

/**
 * Checkpoints in a small SQLite file (WAL). Its commits are not synced: a power loss may take the
 * last saves, and the relay then publishes those events again, which its consumers skip (at least
 * once). A save never gets ahead of the log: the relay publishes only what the store has synced.
 */
export function getSQLiteCheckpoints(path: string): Checkpoints {
  const db = new DatabaseSync(path);
  configureConnection(db, path, 'NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
  const get = db.prepare('SELECT position FROM checkpoints WHERE name = ?');
  const set = db.prepare(
    'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  return {
    load: async (name) => (get.get(name) as { position: number } | undefined)?.position ?? 0,
    save: async (name, position) => {
      set.run(name, position);
    },
    close: async () => db.close(),
  };
}
