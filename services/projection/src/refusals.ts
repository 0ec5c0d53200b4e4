import { DatabaseSync } from 'node:sqlite';
import { type Bus, type Consumer, topics } from '@ledger/bus';
import { configureConnection } from '@ledger/event-store-sqlite';
import { type Logger, type Problem, type RejectedCommand, refusedInput } from '@ledger/http';

/** One refusal as `GET /v1/refusals` answers it. */
export interface Refusal {
  readonly id: number;
  readonly principalId: string | null;
  readonly refusedAt: string;
  readonly via: 'http' | 'kafka';
  readonly request:
    | { readonly method: string; readonly path: string; readonly requestId: string }
    | { readonly topic: string; readonly partition: number | null; readonly offset: string | null };
  readonly status: number;
  readonly problem: Problem;
  /** The refused input's JSON text, cut at 4 KiB. */
  readonly body: string | null;
}

export interface RefusalsJournal {
  /** A principal's refusals after `after` (an id), oldest first, `limit` at most. */
  of(principalId: string, after: number, limit: number): Refusal[];
  stop(): Promise<void>;
}

/** The journal keeps the newest refusals only: it is for integrators to see what went wrong lately. */
export const KEPT_REFUSALS = 100_000;

/**
 * The refusals journal: it follows the rejected topic, where ingestion puts every command it
 * refused (Kafka records and HTTP requests alike), into a SQLite file of its own. Refusals are not
 * events of the ledger (anyone authenticated could grow the log so), so they are not in the log
 * and a rebuild does not bring them back; a redelivered record is kept once (by its refusal id).
 */
export async function startRefusalsJournal(deps: {
  readonly bus: Bus;
  readonly path: string;
  readonly logger: Logger;
}): Promise<RefusalsJournal> {
  const db = new DatabaseSync(deps.path);
  configureConnection(db, deps.path, 'NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS refusals (
      id INTEGER PRIMARY KEY AUTOINCREMENT, refusal_key TEXT NOT NULL UNIQUE, principal_id TEXT,
      refused_at TEXT NOT NULL, via TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
      problem TEXT NOT NULL, body TEXT
    );
    CREATE INDEX IF NOT EXISTS refusals_by_principal ON refusals (principal_id, id);
  `);
  const insert = db.prepare(
    `INSERT INTO refusals (refusal_key, principal_id, refused_at, via, request, status, problem, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (refusal_key) DO NOTHING`,
  );
  const prune = db.prepare('DELETE FROM refusals WHERE id <= (SELECT max(id) FROM refusals) - ?');
  const select = db.prepare('SELECT * FROM refusals WHERE principal_id = ? AND id > ? ORDER BY id LIMIT ?');
  const logger = deps.logger.child({ consumer: topics.rejectedCommands });

  const keep = (r: RejectedCommand) => {
    const http = 'http' in r.source ? r.source.http : undefined;
    const kafka = 'http' in r.source ? undefined : r.source;
    const request = http ?? {
      topic: kafka?.topic ?? '',
      partition: kafka?.partition ?? null,
      offset: kafka?.offset ?? null,
    };
    const key = r.refusalId ?? `kafka:${kafka?.topic}:${kafka?.partition ?? 0}:${kafka?.offset ?? ''}`;
    insert.run(
      key,
      r.principalId ?? null,
      r.rejectedAt,
      http ? 'http' : 'kafka',
      JSON.stringify(request),
      r.problem.status,
      JSON.stringify(r.problem),
      refusedInput(r.record),
    );
  };

  let consumer: Consumer | undefined = await deps.bus.consume(topics.rejectedCommands, {
    groupId: 'projection-refusals',
    onMessages: (messages) => {
      db.exec('BEGIN');
      try {
        for (const m of messages) {
          const r = m.value as RejectedCommand;
          if (r && typeof r === 'object' && r.source && r.problem) keep(r);
          else logger.warn({ offset: m.offset }, 'a record on the rejected topic is not a refusal: skipped');
        }
        prune.run(KEPT_REFUSALS);
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    onError: (err) => logger.error({ err }, 'the refusals journal stopped following the rejected topic'),
  });

  return {
    of: (principalId, after, limit) =>
      select.all(principalId, after, limit).map((row) => ({
        id: row.id as number,
        principalId: row.principal_id as string | null,
        refusedAt: row.refused_at as string,
        via: row.via as Refusal['via'],
        request: JSON.parse(row.request as string),
        status: row.status as number,
        problem: JSON.parse(row.problem as string),
        body: row.body as string | null,
      })),
    stop: async () => {
      await consumer?.close();
      consumer = undefined;
      db.close();
    },
  };
}
