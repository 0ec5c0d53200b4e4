import { Readable } from 'node:stream';
import {
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AppendStreamRequest,
  type AppendStreamState,
  BACKWARDS,
  type CurrentStreamState,
  END,
  EVENT_TYPE,
  NO_STREAM,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  type StreamSubscription,
  type SubscribeToStreamOptions,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import type { LedgerClient } from '../src/index.ts';

/**
 * An in-memory stand-in for a KurrentDB server, behind the same client surface the adapter uses
 * (`LedgerClient`). NOT a KurrentDB server: it models what the adapter relies on, and is adversarial
 * where the real server's behaviour is not pinned down:
 * - `$all` positions are byte offsets in a fake transaction file ({commit: the append's start,
 *   prepare: the record's own offset}), far from dense;
 * - a multi-stream append lays its events out stream by stream, in a shuffled stream order when
 *   `shuffleStreams` is on, so `$all` order inside an append is not call order;
 * - system events (`$stats-…`, `$>` links in `$ce-…`) are written between appends;
 * - metadata round-trips as the server does for the v2 append: properties come back as a JSON
 *   object, next to `$schema.format` and `$schema.name`;
 * - readAll's fromPosition is inclusive, live subscriptions can be dropped and reads made to fail.
 */
export class FakeKurrentDB {
  private readonly log: AllStreamRecordedEvent[] = [];
  private readonly streams = new Map<string, AllStreamRecordedEvent[]>();
  private readonly live = new Set<{
    stream: string;
    push: (event: ResolvedEvent) => void;
    drop: () => void;
  }>();
  private offset = 4_096n;
  private appends = 0;
  /** The next N `$all` reads fail with UnavailableError, as during a dropped connection. */
  failReads = 0;
  shuffleStreams = true;
  systemNoise = true;
  readonly calls = { multiStreamAppend: 0, readAll: 0, readStream: 0, subscribeToStream: 0 };

  /** A client connected to this fake; several clients share the same data, like processes and one server. */
  client(): LedgerClient {
    return {
      multiStreamAppend: async (requests) => this.multiStreamAppend(requests),
      readStream: (streamName, options) => this.readStream(streamName, options),
      readAll: (options) => this.readAll(options),
      subscribeToStream: (streamName, options) => this.subscribeToStream(streamName, options),
      dispose: async () => undefined,
    };
  }

  /** Drops every live subscription with an UnavailableError, as a server restart would. */
  dropLiveSubscriptions(): void {
    for (const subscription of [...this.live]) subscription.drop();
  }

  get liveSubscriptions(): number {
    return this.live.size;
  }

  /** Writes events that did not come through the ledger (another application, an operator). */
  appendForeign(streamName: string, type: string, data: unknown, metadata?: Record<string, unknown>): void {
    this.write([{ streamName, records: [{ id: crypto.randomUUID(), type, data, metadata }] }]);
  }

  /** Removes an event, as a scavenge after a truncation would. */
  scavenge(predicate: (event: AllStreamRecordedEvent) => boolean): void {
    for (let i = this.log.length - 1; i >= 0; i--)
      if (predicate(this.log[i] as AllStreamRecordedEvent)) this.log.splice(i, 1);
  }

  private revisionOf(streamName: string): CurrentStreamState {
    const events = this.streams.get(streamName);
    return events === undefined || events.length === 0 ? NO_STREAM : BigInt(events.length - 1);
  }

  private async multiStreamAppend(requests: AppendStreamRequest[]): Promise<{ position: bigint }> {
    this.calls.multiStreamAppend++;
    await Promise.resolve();
    const seen = new Set<string>();
    for (const request of requests) {
      if (seen.has(request.streamName))
        throw new Error(`fake: ${request.streamName} twice in one multi-stream append`);
      seen.add(request.streamName);
      for (const event of request.events) {
        const { metadata } = event;
        if (metadata !== undefined && Object.values(metadata).some((value) => typeof value !== 'string')) {
          throw new Error(
            'multiStreamAppend requires metadata to be a plain object with string keys and string values.',
          );
        }
      }
    }
    for (const request of requests) {
      const current = this.revisionOf(request.streamName);
      if (!stateHolds(request.expectedState, current)) {
        throw new WrongExpectedVersionError(undefined, {
          streamName: request.streamName,
          expected: request.expectedState,
          current,
        });
      }
    }
    const order = this.shuffleStreams ? shuffled(requests) : requests;
    const position = this.write(
      order.map((request) => ({
        streamName: request.streamName,
        records: request.events.map((event) => ({
          id: event.id,
          type: event.type,
          data: event.data,
          metadata: {
            ...(event.metadata as Record<string, string> | undefined),
            '$schema.format': 'Json',
            '$schema.name': event.type,
          },
        })),
      })),
    );
    this.appends++;
    if (this.systemNoise && this.appends % 3 === 0) {
      this.write([
        {
          streamName: '$stats-127.0.0.1:2113',
          records: [{ id: crypto.randomUUID(), type: '$statsCollected', data: {} }],
        },
      ]);
      const first = requests[0];
      if (first !== undefined) {
        const category = first.streamName.split(/[-:]/)[0] ?? 'x';
        this.write([
          {
            streamName: `$ce-${category}`,
            records: [{ id: crypto.randomUUID(), type: '$>', data: `0@${first.streamName}` }],
          },
        ]);
      }
    }
    return { position };
  }

  /** One transaction: every record gets commit = the transaction's start offset, prepare = its own offset. */
  private write(
    groups: {
      streamName: string;
      records: { id: string; type: string; data: unknown; metadata?: Record<string, unknown> | undefined }[];
    }[],
  ): bigint {
    const commit = this.offset;
    const written: AllStreamRecordedEvent[] = [];
    for (const group of groups) {
      const stream = this.streams.get(group.streamName) ?? [];
      this.streams.set(group.streamName, stream);
      for (const record of group.records) {
        const text = JSON.stringify(record.data);
        const event = {
          streamId: group.streamName,
          id: record.id,
          revision: BigInt(stream.length),
          type: record.type,
          data: JSON.parse(text) as unknown,
          metadata: record.metadata === undefined ? undefined : JSON.parse(JSON.stringify(record.metadata)),
          isJson: true,
          created: new Date(),
          position: { commit, prepare: this.offset },
        } as AllStreamRecordedEvent;
        this.offset += 128n + BigInt(text.length);
        stream.push(event);
        this.log.push(event);
        written.push(event);
      }
    }
    for (const event of written) {
      for (const subscription of this.live)
        if (subscription.stream === event.streamId) subscription.push({ event });
    }
    return commit;
  }

  private async *readStream(
    streamName: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<ResolvedEvent> {
    this.calls.readStream++;
    await Promise.resolve();
    const events = this.streams.get(streamName);
    if (events === undefined) throw new StreamNotFoundError(undefined, streamName);
    const backwards = options.direction === BACKWARDS;
    const last = events.length - 1;
    const from = options.fromRevision ?? (backwards ? END : START);
    let index = from === START ? 0 : from === END ? last : Number(from);
    if (backwards) index = Math.min(index, last);
    let remaining = options.maxCount === undefined ? Number.POSITIVE_INFINITY : Number(options.maxCount);
    while (remaining > 0 && index >= 0 && index <= last) {
      yield { event: events[index] as AllStreamRecordedEvent };
      index += backwards ? -1 : 1;
      remaining--;
    }
  }

  private async *readAll(options: ReadAllOptions = {}): AsyncGenerator<AllStreamResolvedEvent> {
    this.calls.readAll++;
    await Promise.resolve();
    if (this.failReads > 0) {
      this.failReads--;
      throw new UnavailableError();
    }
    if (options.direction === BACKWARDS) throw new Error('fake: backwards $all reads are not modelled');
    const from = options.fromPosition ?? START;
    let remaining = options.maxCount === undefined ? Number.POSITIVE_INFINITY : Number(options.maxCount);
    const filter = options.filter;
    const matches = (event: AllStreamRecordedEvent): boolean => {
      if (filter === undefined) return true;
      const subject = filter.filterOn === EVENT_TYPE ? event.type : event.streamId;
      return 'regex' in filter
        ? new RegExp(filter.regex).test(subject)
        : filter.prefixes.some((p) => subject.startsWith(p));
    };
    for (const event of this.log) {
      if (remaining <= 0) return;
      if (from === END) return;
      if (from !== START && compare(event.position, from) < 0) continue;
      if (!matches(event)) continue;
      remaining--;
      yield { event, commitPosition: event.position.commit };
    }
  }

  private subscribeToStream(streamName: string, options: SubscribeToStreamOptions = {}): StreamSubscription {
    this.calls.subscribeToStream++;
    if (options.fromRevision !== END)
      throw new Error('fake: only live subscriptions (fromRevision END) are modelled');
    const readable = new Readable({ objectMode: true, read: () => undefined });
    const entry = {
      stream: streamName,
      push: (event: ResolvedEvent) => readable.push(event),
      drop: () => {
        this.live.delete(entry);
        readable.destroy(new UnavailableError());
      },
    };
    this.live.add(entry);
    return Object.assign(readable, {
      unsubscribe: async () => {
        this.live.delete(entry);
        readable.destroy();
      },
    }) as unknown as StreamSubscription;
  }
}

function stateHolds(expected: AppendStreamState, current: CurrentStreamState): boolean {
  if (expected === 'any') return true;
  if (expected === NO_STREAM) return current === NO_STREAM;
  if (expected === STREAM_EXISTS) return current !== NO_STREAM;
  return current === expected;
}

function compare(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  return a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1;
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
