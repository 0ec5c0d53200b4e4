import { EventEmitter } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { bookkeepingStreams, type RecordedEvent } from '@ledger/domain';
import {
  APPENDED,
  type AppendedEvent,
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  alreadyRecorded,
  assignRecordedAt,
  type EventStore,
  type LogHead,
  normalizeAppendOptions,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Subscription,
  satisfies,
  startSubscription,
  WrongExpectedRevision,
} from '@ledger/event-store';
import { appendedOf, flatten, type PendingEvent, type RecordedRef } from './append.ts';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from './rows.ts';
import { prepareDatabase } from './schema.ts';
import { createWalSync, type SyncFile } from './wal-sync.ts';

export interface SQLiteEventStoreOptions {
  /** file path, or ':memory:' */
  path: string;
  /** clock, epoch ms; defaults to Date.now. Tests inject it. */
  now?: () => number;
  /** how often subscriptions poll for events written by OTHER processes sharing the file; default 100 ms */
  pollIntervalMs?: number;
  /**
   * 'full' (the default): an append that returned is on disk — in WAL mode SQLite then fsyncs the
   * WAL at every commit; a ledger must not forget what it acknowledged.
   * 'derived': for a writer of events that are recomputed from the log (scores with their
   * checkpoint): its commits are not fsynced, so a power loss may drop its last ones, which it then
   * records again. It never drops a commit another connection's 'full' commit came after: that
   * fsync writes the WAL up to there.
   *
   * The subscriptions of a 'full' store deliver only what is on disk: before handing over events
   * that its own commits have not synced (another connection's 'derived' ones), they sync the WAL,
   * off the JavaScript thread. So nothing relayed or projected from the log can get ahead of it.
   */
  durability?: 'full' | 'derived';
  /** How a 'full' store's subscriptions sync the WAL; defaults to fsync on libuv's thread pool. Tests observe it. */
  syncFile?: SyncFile;
}

export interface SQLiteEventStore extends EventStore {
  readonly path: string;
  /**
   * Wakes this connection's subscriptions now: another connection of this process (a worker
   * thread) has appended. Without it they would see that append at their next poll.
   */
  notifyAppended(): void;
}

const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * The embedded event store. Several processes may share one file: appends serialize on SQLite's
 * write lock (BEGIN IMMEDIATE), waiting up to 5 s for it, synchronously.
 *
 * append refuses a recordedAt that is not an ISO-8601 date-time with an offset with a TypeError.
 */
export function getSQLiteEventStore(options: SQLiteEventStoreOptions): SQLiteEventStore {
  const { path } = options;
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const db = new DatabaseSync(path);
  try {
    prepareDatabase(db, path, options.durability === 'derived' ? 'NORMAL' : 'FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  const walSync =
    options.durability !== 'derived' && path !== ':memory:'
      ? createWalSync(`${path}-wal`, options.syncFile)
      : undefined;
  /** The last position this connection knows to be on disk: its own durable commits, and what it synced. */
  let syncedThrough = 0;

  const statements = {
    head: db.prepare('SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1'),
    streamRevision: db.prepare('SELECT max(revision) AS revision FROM events WHERE stream_id = ?'),
    sealed: db.prepare('SELECT 1 AS sealed FROM events WHERE stream_id = ? LIMIT 1'),
    byEventId: db.prepare('SELECT position, stream_id, revision, recorded_at FROM events WHERE event_id = ?'),
    insert: db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    readStream: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ),
    readStreamBackwards: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    ),
    readAll: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
  };

  const signal = new EventEmitter();
  signal.setMaxListeners(0);
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new Error(`event store ${path} is closed`);
  };

  const readHead = (): { position: number; recorded_at: string } | undefined =>
    statements.head.get() as { position: number; recorded_at: string } | undefined;

  const readAfter = (after: number, limit: number): RecordedEvent[] =>
    (statements.readAll.all(after, limit) as unknown as EventRow[]).map(toRecordedEvent);

  /** What subscriptions deliver: events on disk, after syncing the WAL if this connection did not write them all. */
  const readDurable = async (after: number, limit: number): Promise<RecordedEvent[]> => {
    const events = readAfter(after, limit);
    const last = events.at(-1)?.position ?? 0;
    if (walSync && last > syncedThrough) {
      await walSync.sync();
      syncedThrough = Math.max(syncedThrough, last);
    }
    return events;
  };

  /** The original events if the whole call is a retry; throws `refusal` if it is simply refused. */
  const retriedOrRefuse = (pending: readonly PendingEvent[], refusal: unknown): AppendedEvent[] => {
    const found = pending.map((event) => {
      const ref = statements.byEventId.get(event.eventId) as RecordedRef | undefined;
      return ref && appendedOf(event.eventId, ref);
    });
    const original = alreadyRecorded(pending, found);
    if (original === undefined) throw refusal;
    return original;
  };

  /**
   * Runs inside the write transaction: checks expected revisions, then inserts. With `probeAll`
   * false, a request that expects a new stream ('no_stream' or -1) skips the lookup of its stream's
   * revision, and the UNIQUE (stream_id, revision) index refuses the insert if the stream exists:
   * most appends open new streams, and the lookup was an eighth of an append. Any refusal then
   * answers 'probe', and the append is decided again with every stream looked up, so refusals and
   * retries are answered exactly as if nothing had been skipped.
   */
  const write = (
    requests: readonly AppendRequest[],
    pending: readonly PendingEvent[],
    recordedAt: string,
    head: number,
    probeAll: boolean,
  ): { readonly events: AppendedEvent[] } | { readonly refusal: unknown } | 'probe' => {
    let skipped = false;
    // Revision of each event, checking expected revisions against the stream as earlier requests left it.
    const revisions: number[] = [];
    const streamRevisions = new Map<string, number>();
    for (const request of requests) {
      let revision = streamRevisions.get(request.streamId);
      if (revision === undefined) {
        const expected = request.expectedRevision;
        if (!probeAll && (expected === 'no_stream' || expected === -1)) {
          skipped = true;
          revision = -1;
        } else {
          const row = statements.streamRevision.get(request.streamId) as { revision: number | null };
          revision = row.revision ?? -1;
        }
      }
      if (!satisfies(request.expectedRevision, revision)) {
        if (skipped) return 'probe';
        return { refusal: new WrongExpectedRevision(request.streamId, request.expectedRevision, revision) };
      }
      for (let i = 0; i < request.events.length; i++) revisions.push(++revision);
      streamRevisions.set(request.streamId, revision);
    }

    // Retries are rare, so rather than look every event id up first, let the UNIQUE index find them.
    let position = head;
    const events: AppendedEvent[] = new Array(pending.length);
    try {
      for (let i = 0; i < pending.length; i++) {
        const event = pending[i] as PendingEvent;
        const revision = revisions[i] as number;
        position++;
        statements.insert.run(
          position,
          event.eventId,
          event.streamId,
          revision,
          event.type,
          event.schemaVersion,
          recordedAt,
          event.data,
          event.metadata,
        );
        events[i] = { eventId: event.eventId, streamId: event.streamId, revision, position, recordedAt };
      }
    } catch (error) {
      if ((error as { errcode?: unknown }).errcode !== SQLITE_CONSTRAINT_UNIQUE) throw error;
      return skipped ? 'probe' : { refusal: error };
    }
    return { events };
  };

  /** One write transaction: the events it committed, or the refusal it rolled back. */
  const transact = (
    requests: readonly AppendRequest[],
    pending: readonly PendingEvent[],
    { requestedAt, derivedFrom }: ReturnType<typeof normalizeAppendOptions>,
    probeAll: boolean,
  ): ReturnType<typeof write> => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const head = readHead();
      const time = assignRecordedAt({
        latest: head?.recorded_at ?? null,
        nowMs: now(),
        requestedAt,
        derivedFrom,
        // Looked up only for an import: the one append a seal refuses.
        sealed: requestedAt !== undefined && statements.sealed.get(bookkeepingStreams.seal) !== undefined,
      });
      const written = time.conflict
        ? { refusal: time.conflict }
        : write(requests, pending, time.recordedAt, head?.position ?? 0, probeAll);
      db.exec(typeof written === 'object' && 'events' in written ? 'COMMIT' : 'ROLLBACK');
      return written;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };

  const append = (requests: readonly AppendRequest[], appendOptions?: AppendOptions): AppendResult => {
    assertOpen();
    const options = normalizeAppendOptions(appendOptions);
    const pending = flatten(requests);
    if (pending.length === 0) return { events: [], alreadyRecorded: false };

    let written = transact(requests, pending, options, false);
    if (written === 'probe') written = transact(requests, pending, options, true);
    if (written === 'probe') throw new Error('unreachable: a fully checked append asked to be checked again');
    // Refused: what the log holds under the call's event ids, now that this call's own rows are rolled back.
    if ('refusal' in written)
      return { events: retriedOrRefuse(pending, written.refusal), alreadyRecorded: true };
    if (walSync) syncedThrough = Math.max(syncedThrough, written.events.at(-1)?.position ?? 0);
    signal.emit(APPENDED);
    return { events: written.events, alreadyRecorded: false };
  };

  return {
    path,
    notifyAppended: () => {
      if (!closed) signal.emit(APPENDED);
    },
    append: async (requests, appendOptions) => append(requests, appendOptions),

    readStream: async (streamId: string, readOptions: ReadStreamOptions = {}) => {
      assertOpen();
      const backwards = readOptions.direction === 'backwards';
      const rows = (backwards ? statements.readStreamBackwards : statements.readStream).all(
        streamId,
        readOptions.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0),
        sqlLimit(readOptions.maxCount, 'maxCount'),
      ) as unknown as EventRow[];
      return rows.map(toRecordedEvent);
    },

    readAll: async (readOptions: ReadAllOptions = {}) => {
      assertOpen();
      return readAfter(readOptions.after ?? 0, sqlLimit(readOptions.limit, 'limit'));
    },

    head: async (): Promise<LogHead> => {
      assertOpen();
      const head = readHead();
      return head === undefined
        ? { position: 0, recordedAt: null }
        : { position: head.position, recordedAt: head.recorded_at };
    },

    subscribe: (subscribeOptions) => {
      assertOpen();
      const subscription = startSubscription({ read: readDurable, signal, pollIntervalMs }, subscribeOptions);
      const tracked: Subscription = {
        close: async () => {
          subscriptions.delete(tracked);
          await subscription.close();
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await walSync?.close();
      db.close();
    },
  };
}

/** SQLite reads LIMIT -1 as "no limit". */
function sqlLimit(limit: number | undefined, name: string): number {
  if (limit === undefined) return -1;
  if (!Number.isInteger(limit) || limit < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return limit;
}
