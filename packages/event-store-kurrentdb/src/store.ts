import { EventEmitter } from 'node:events';
import {
  type AppendStreamRequest,
  BACKWARDS,
  END,
  FORWARDS,
  type RecordedEvent as KurrentRecordedEvent,
  type Position,
  type ReadPosition,
  START,
  type StreamSubscription,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '@ledger/domain';
import {
  APPENDED,
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type LogHead,
  normalizeAppendOptions,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Subscription,
  sealsTheLog,
  startSubscription,
} from '@ledger/event-store';
import {
  alreadyRecorded,
  assignRecordedAt,
  exactState,
  firstRefusal,
  flatten,
  planAppend,
} from './append-plan.ts';
import { type LedgerClient, openClient } from './client.ts';
import {
  type ClockData,
  decodeClock,
  decodeLedgerEvent,
  decodeMarker,
  encodeClock,
  encodeLedgerEvent,
  encodeMarker,
  type MarkerData,
  type PendingEvent,
} from './codec.ts';
import { explainAppendError, isConflict, isStreamNotFound, isTransient } from './errors.ts';
import { names as makeNames } from './naming.ts';
import { ClockIndex, Sequencer } from './positions.ts';

export interface KurrentDBEventStoreOptions {
  /** `kurrentdb://host:2113?tls=false`, `kurrentdb+discover://…` for a cluster (or `esdb://…`). */
  readonly connectionString?: string;
  /** A client to use instead of opening one (tests); close() leaves it open. */
  readonly client?: LedgerClient;
  /** Clock, epoch ms; defaults to Date.now. Tests inject it. */
  readonly now?: () => number;
  /** Prefix of every stream this store writes and reads: several ledgers (or test runs) on one server. */
  readonly namespace?: string;
  /** Subscriptions re-read at least this often even without a live signal; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** How many times an append is re-planned after losing a race with another writer; default 50. */
  readonly maxAttempts?: number;
}

interface ClockState {
  /** Revision of the clock stream's last event, -1 when the log is empty. */
  readonly revision: number;
  readonly data: ClockData | undefined;
}

/** Reading from a ledger position further than this past a remembered clock event searches the clock stream instead. */
const NEAR = 4096;
const MARKER_READ_CONCURRENCY = 16;

/**
 * The event store on KurrentDB (≥ 25.1). See README.md: every append is one atomic multi-stream
 * append of the ledger events, one marker per event id (`_ledger-event-<id>`, expected not to
 * exist) and one clock event (`_ledger-clock`, expected at the revision just read), which carries
 * the ledger's dense position counter and the latest recordedAt.
 */
export function getKurrentDBEventStore(
  options: KurrentDBEventStoreOptions,
): EventStore & { readonly namespace: string } {
  const names = makeNames(options.namespace ?? '');
  const ownClient = options.client === undefined;
  const client =
    options.client ??
    openClient(
      options.connectionString ??
        (() => {
          throw new TypeError('getKurrentDBEventStore needs a connectionString or a client');
        })(),
    );
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const maxAttempts = options.maxAttempts ?? 50;
  const filter = streamNameFilter({ regex: names.allFilterRegex });
  const index = new ClockIndex();
  const signal = new EventEmitter();
  signal.setMaxListeners(0);
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new Error('the KurrentDB event store is closed');
  };

  /** The events of a stream read with these options; none if the stream does not exist. */
  const readEvents = async (
    streamName: string,
    readOptions: Parameters<LedgerClient['readStream']>[1],
  ): Promise<KurrentRecordedEvent[]> => {
    const events: KurrentRecordedEvent[] = [];
    try {
      for await (const resolved of client.readStream(streamName, readOptions)) {
        if (resolved.event !== undefined) events.push(resolved.event);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return events;
  };

  const readLast = async (streamName: string): Promise<KurrentRecordedEvent | undefined> =>
    (await readEvents(streamName, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }))[0];

  const readClock = async (): Promise<ClockState> => {
    const last = await readLast(names.clock);
    if (last === undefined) return { revision: -1, data: undefined };
    const data = decodeClock(last);
    if (last.position !== undefined) index.add(data.lastPosition, last.position);
    return { revision: Number(last.revision), data };
  };

  const currentRevisions = async (streamIds: Iterable<string>): Promise<Map<string, number>> => {
    const ids = [...new Set(streamIds)];
    const revisions = await Promise.all(
      ids.map(async (id) => {
        const last = await readLast(names.stream(id));
        return last === undefined ? -1 : Number(last.revision);
      }),
    );
    return new Map(ids.map((id, i) => [id, revisions[i] as number]));
  };

  const readMarkers = async (pending: readonly PendingEvent[]): Promise<(MarkerData | undefined)[]> => {
    const markers: (MarkerData | undefined)[] = new Array(pending.length);
    for (let i = 0; i < pending.length; i += MARKER_READ_CONCURRENCY) {
      const slice = pending.slice(i, i + MARKER_READ_CONCURRENCY);
      const found = await Promise.all(
        slice.map(async (event) => {
          const marker = await readLast(names.marker(event.eventId.toLowerCase()));
          return marker === undefined ? undefined : decodeMarker(marker);
        }),
      );
      found.forEach((marker, j) => {
        markers[i + j] = marker;
      });
    }
    return markers;
  };

  /** A retry of a recorded call → its original events; partly recorded → DuplicateEventId; else `refusal`. */
  const replayOrRefuse = async (
    pending: readonly PendingEvent[],
    refusal: unknown,
  ): Promise<AppendResult> => {
    const original = alreadyRecorded(pending, await readMarkers(pending));
    if (original === undefined) throw refusal;
    return { events: original, alreadyRecorded: true };
  };

  const append = async (requests: readonly AppendRequest[], appendOptions?: AppendOptions) => {
    assertOpen();
    const { requestedAt, derivedFrom } = normalizeAppendOptions(appendOptions);
    const pending = flatten(requests);
    if (pending.length === 0) return { events: [], alreadyRecorded: false };

    for (let attempt = 1; ; attempt++) {
      const [clock, revisions] = await Promise.all([
        readClock(),
        currentRevisions(requests.map((r) => r.streamId)),
      ]);
      const time = assignRecordedAt({
        latest: clock.data?.recordedAt ?? null,
        nowMs: now(),
        requestedAt,
        derivedFrom,
        sealed: clock.data?.sealed === true,
      });
      if (time.conflict !== undefined) return replayOrRefuse(pending, time.conflict);
      const refusal = firstRefusal(requests, revisions);
      if (refusal !== undefined) return replayOrRefuse(pending, refusal);

      const plan = planAppend(pending, revisions, clock.data?.lastPosition ?? 0, time.recordedAt);
      const writes: AppendStreamRequest[] = [];
      for (const [streamId, stream] of plan.streams) {
        writes.push({
          streamName: names.stream(streamId),
          expectedState: exactState(stream.revision),
          events: stream.indexes.map((i) =>
            encodeLedgerEvent(pending[i] as PendingEvent, plan.firstPosition + i, time.recordedAt),
          ),
        });
      }
      plan.events.forEach((event) => {
        writes.push({
          streamName: names.marker(event.eventId.toLowerCase()),
          expectedState: exactState(-1),
          events: [encodeMarker(event)],
        });
      });
      writes.push({
        streamName: names.clock,
        expectedState: exactState(clock.revision),
        events: [
          encodeClock({
            firstPosition: plan.firstPosition,
            lastPosition: plan.lastPosition,
            recordedAt: time.recordedAt,
            ...(clock.data?.sealed || sealsTheLog(requests) ? { sealed: true as const } : {}),
          }),
        ],
      });

      try {
        await client.multiStreamAppend(writes);
      } catch (error) {
        if (!isConflict(error)) throw explainAppendError(error);
        // Another writer got in first (the clock moved, a stream moved), or an event id is recorded.
        const original = alreadyRecorded(pending, await readMarkers(pending));
        if (original !== undefined) return { events: original, alreadyRecorded: true };
        if (attempt >= maxAttempts) {
          throw new Error(`append gave up after ${attempt} attempts: other writers kept getting in first`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
        continue;
      }
      signal.emit(APPENDED);
      return { events: plan.events, alreadyRecorded: false };
    }
  };

  /** Where in `$all` to start reading ledger events after `after`; undefined: there are none yet. */
  const startFor = async (after: number): Promise<ReadPosition | undefined> => {
    if (after <= 0) return START;
    const hit = index.floor(after);
    if (hit !== undefined && after - hit.last <= NEAR) return hit.at;
    // Binary search of the clock stream for the last append ending at or before `after`.
    const clock = await readClock();
    if (clock.data === undefined || clock.data.lastPosition <= after) return undefined;
    let lo = -1;
    let loAt: Position | undefined;
    let hi = clock.revision;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const [event] = await readEvents(names.clock, { fromRevision: BigInt(mid), maxCount: 1 });
      if (event === undefined) throw new Error(`clock event ${mid} is missing`);
      const data = decodeClock(event);
      if (event.position !== undefined) index.add(data.lastPosition, event.position);
      if (data.lastPosition <= after) {
        lo = mid;
        loAt = event.position;
      } else {
        hi = mid;
      }
    }
    return lo < 0 || loAt === undefined ? START : loAt;
  };

  /** Ledger events with position > after, in ledger order, at most limit. */
  const readLedger = async (after: number, limit: number): Promise<RecordedEvent[]> => {
    if (limit === 0) return [];
    const start = await startFor(after);
    if (start === undefined) return [];
    const sequence = new Sequencer(after);
    const pageSize = Number.isFinite(limit) ? Math.min(Math.max(2 * limit + 16, 64), 4096) : 4096;
    let from: ReadPosition = start;
    for (;;) {
      let received = 0;
      let last: Position | undefined;
      for await (const resolved of client.readAll({
        fromPosition: from,
        maxCount: pageSize,
        direction: FORWARDS,
        filter,
      })) {
        received++;
        const raw = resolved.event;
        if (raw === undefined) continue;
        last = raw.position;
        if (raw.streamId === names.clock) {
          index.add(decodeClock(raw).lastPosition, raw.position);
          continue;
        }
        const streamId = names.ledgerStreamId(raw.streamId);
        const event = streamId === undefined ? undefined : decodeLedgerEvent(raw, streamId);
        if (event === undefined) continue;
        sequence.offer(event);
        if (sequence.ready.length >= limit) break;
      }
      if (sequence.ready.length >= limit || received < pageSize || last === undefined) break;
      from = last;
    }
    if (sequence.ready.length < limit && sequence.hasGap) {
      throw new Error(
        `ledger position ${sequence.next} is missing from $all while later ones are there: ` +
          'was a ledger stream deleted, truncated or scavenged?',
      );
    }
    return sequence.ready.length > limit ? sequence.ready.slice(0, limit) : sequence.ready;
  };

  // One live subscription to the clock stream per store wakes every subscription when anyone appends.
  let live: StreamSubscription | undefined;
  let liveRetry: NodeJS.Timeout | undefined;
  const startLive = (): void => {
    if (closed || live !== undefined || subscriptions.size === 0) return;
    const subscription = client.subscribeToStream(names.clock, { fromRevision: END });
    live = subscription;
    const restart = (): void => {
      if (live !== subscription) return;
      live = undefined;
      subscription.unsubscribe().catch(() => undefined);
      signal.emit(APPENDED);
      if (!closed && subscriptions.size > 0) {
        liveRetry = setTimeout(startLive, 1_000);
        liveRetry.unref();
      }
    };
    subscription.on('data', () => signal.emit(APPENDED));
    subscription.on('error', restart);
    subscription.on('end', restart);
  };
  const stopLive = async (): Promise<void> => {
    clearTimeout(liveRetry);
    const subscription = live;
    live = undefined;
    await subscription?.unsubscribe().catch(() => undefined);
  };

  let outageReported = 0;

  return {
    namespace: names.namespace,
    append,

    readStream: async (streamId: string, readOptions: ReadStreamOptions = {}) => {
      assertOpen();
      const backwards = readOptions.direction === 'backwards';
      const maxCount = count(readOptions.maxCount, 'maxCount');
      const fromRevision = readOptions.fromRevision;
      if (fromRevision !== undefined && (!Number.isSafeInteger(fromRevision) || fromRevision < 0)) {
        throw new TypeError('fromRevision must be a non-negative integer');
      }
      if (
        maxCount === 0 ||
        typeof streamId !== 'string' ||
        names.ledgerStreamId(names.stream(streamId)) === undefined
      ) {
        return [];
      }
      const raw = await readEvents(names.stream(streamId), {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: fromRevision === undefined ? (backwards ? END : START) : BigInt(fromRevision),
        ...(Number.isFinite(maxCount) ? { maxCount } : {}),
      });
      return raw.map((event) => {
        const decoded = decodeLedgerEvent(event, streamId);
        if (decoded === undefined) {
          throw new Error(
            `${event.streamId}@${event.revision} (${event.type}) was not written by the ledger`,
          );
        }
        return decoded;
      });
    },

    readAll: async (readOptions: ReadAllOptions = {}) => {
      assertOpen();
      const after = readOptions.after ?? 0;
      if (!Number.isSafeInteger(after) || after < 0)
        throw new TypeError('after must be a non-negative integer');
      return readLedger(after, count(readOptions.limit, 'limit'));
    },

    head: async (): Promise<LogHead> => {
      assertOpen();
      const clock = await readClock();
      return clock.data === undefined
        ? { position: 0, recordedAt: null }
        : { position: clock.data.lastPosition, recordedAt: clock.data.recordedAt };
    },

    subscribe: (subscribeOptions) => {
      assertOpen();
      const subscription = startSubscription(
        {
          read: readLedger,
          signal,
          pollIntervalMs,
          isTransient,
          onOutage: (error) => {
            if (Date.now() - outageReported < 60_000) return;
            outageReported = Date.now();
            process.emitWarning(`KurrentDB unreachable, subscription retrying: ${String(error)}`);
          },
        },
        subscribeOptions,
      );
      const tracked: Subscription = {
        close: async () => {
          subscriptions.delete(tracked);
          if (subscriptions.size === 0) await stopLive();
          await subscription.close();
        },
      };
      subscriptions.add(tracked);
      startLive();
      return tracked;
    },

    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await stopLive();
      if (ownClient) await client.dispose();
    },
  };
}

function count(value: number | undefined, name: string): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}
