import {
  type RecordedEvent as KurrentRecordedEvent,
  NO_STREAM,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '@ledger/domain';
import { DuplicateEventId, RecordedAtConflict, WrongExpectedRevision } from '@ledger/event-store';
import { newEvent, newEvents, request } from '@ledger/event-store/testing';
import { describe, expect, it } from 'vitest';
import {
  alreadyRecorded,
  assignRecordedAt,
  exactState,
  firstRefusal,
  flatten,
  normalizeRecordedAt,
  planAppend,
} from '../src/append-plan.ts';
import { isKurrentDBConnectionString } from '../src/client.ts';
import { decodeLedgerEvent, encodeLedgerEvent, type MarkerData } from '../src/codec.ts';
import { explainAppendError, isConflict, isTransient } from '../src/errors.ts';
import { names } from '../src/naming.ts';
import { ClockIndex, comparePositions, Sequencer } from '../src/positions.ts';

const at = (commit: number, prepare = commit) => ({ commit: BigInt(commit), prepare: BigInt(prepare) });

describe('expected revisions', () => {
  it('are checked in call order, each against what the earlier requests of the call left', () => {
    const current = new Map([
      ['a', -1],
      ['b', 4],
    ]);
    const ok = [
      request('a', 'no_stream', newEvents(2)),
      request('a', 1, [newEvent()]),
      request('b', 'exists', []),
    ];
    expect(firstRefusal(ok, current)).toBeUndefined();
    expect(
      firstRefusal([request('a', 'any', [newEvent()]), request('b', 'any', [newEvent()])], current),
    ).toBeUndefined();

    const twice = firstRefusal(
      [request('a', 'no_stream', [newEvent()]), request('a', 'no_stream', [newEvent()])],
      current,
    );
    expect(twice).toBeInstanceOf(WrongExpectedRevision);
    expect([twice?.streamId, twice?.expected, twice?.actual]).toEqual(['a', 'no_stream', 0]);

    const first = firstRefusal(
      [request('b', 3, [newEvent()]), request('a', 'exists', [newEvent()]), request('c', 0, [newEvent()])],
      current,
    );
    expect([first?.streamId, first?.expected, first?.actual]).toEqual(['b', 3, 4]);
    const missing = firstRefusal([request('c', 'exists', [newEvent()])], current);
    expect([missing?.streamId, missing?.actual]).toEqual(['c', -1]);
  });

  it('are sent to the server as the exact state the adapter read', () => {
    expect(exactState(-1)).toBe(NO_STREAM);
    expect(exactState(0)).toBe(0n);
    expect(exactState(41)).toBe(41n);
  });
});

describe('flatten', () => {
  it('refuses what no log could accept, before anything is read', () => {
    const ok = newEvent();
    expect(() => flatten([request('_ledger-clock', 'any', [ok])])).toThrow(TypeError);
    expect(() => flatten([request('$stats', 'any', [ok])])).toThrow(TypeError);
    expect(() => flatten([request('', 'any', [ok])])).toThrow(TypeError);
    expect(() => flatten([request('unit:1', 'any', [newEvent({ type: '$>' })])])).toThrow(TypeError);
    expect(() => flatten([request('unit:1', 'any', [newEvent({ eventId: 'not-a-uuid' })])])).toThrow(
      TypeError,
    );
    expect(() => flatten([request('unit:1', -2, [ok])])).toThrow(TypeError);
    expect(() => flatten([request('unit:1', 'any', [newEvent({ data: undefined })])])).toThrow(TypeError);
    expect(() => flatten([request('unit:1', 'any', [ok]), request('unit:2', 'any', [ok])])).toThrow(
      DuplicateEventId,
    );
    expect(flatten([request('unit:1', 'any', [ok])])).toEqual([
      {
        eventId: ok.eventId,
        streamId: 'unit:1',
        type: ok.type,
        schemaVersion: 1,
        data: ok.data,
        metadata: ok.metadata,
      },
    ]);
  });
});

describe('planAppend', () => {
  it('gives dense positions after the clock in call order, and consecutive revisions per stream', () => {
    const pending = flatten([
      request('a', 'any', newEvents(2)),
      request('b', 'no_stream', [newEvent()]),
      request('a', 'any', [newEvent()]),
    ]);
    const plan = planAppend(pending, new Map([['a', 6]]), 100, '2025-01-01T00:00:00.000Z');
    expect(plan.events.map((e) => [e.streamId, e.revision, e.position])).toEqual([
      ['a', 7, 101],
      ['a', 8, 102],
      ['b', 0, 103],
      ['a', 9, 104],
    ]);
    expect([plan.firstPosition, plan.lastPosition]).toEqual([101, 104]);
    expect([...plan.streams].map(([id, s]) => [id, s.revision, s.indexes])).toEqual([
      ['a', 6, [0, 1, 3]],
      ['b', -1, [2]],
    ]);
  });
});

describe('recordedAt', () => {
  const T = Date.parse('2025-03-01T08:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();

  it('is the clock, but never earlier than the latest in the log', () => {
    expect(assignRecordedAt({ latest: null, nowMs: T }).recordedAt).toBe(iso(T));
    expect(assignRecordedAt({ latest: iso(T), nowMs: T - 60_000 }).recordedAt).toBe(iso(T));
    expect(assignRecordedAt({ latest: iso(T), nowMs: T + 1 }).recordedAt).toBe(iso(T + 1));
  });

  it('accepts a requested instant from the latest up to now, and refuses the rest', () => {
    expect(assignRecordedAt({ latest: iso(T), nowMs: T + 10, requestedAt: iso(T + 5) }).recordedAt).toBe(
      iso(T + 5),
    );
    const before = assignRecordedAt({ latest: iso(T), nowMs: T + 10, requestedAt: iso(T - 1) }).conflict;
    expect(before).toBeInstanceOf(RecordedAtConflict);
    expect(before?.bound).toBe(iso(T));
    const future = assignRecordedAt({ latest: iso(T), nowMs: T + 10, requestedAt: iso(T + 11) }).conflict;
    expect(future?.bound).toBe(iso(T + 10));
  });

  it('records derived events at their input instant, or the latest if later, never at the clock', () => {
    expect(assignRecordedAt({ latest: iso(T), nowMs: T + 1e6, derivedFrom: iso(T + 3) }).recordedAt).toBe(
      iso(T + 3),
    );
    expect(assignRecordedAt({ latest: iso(T), nowMs: T + 1e6, derivedFrom: iso(T - 3) }).recordedAt).toBe(
      iso(T),
    );
  });

  it('normalizes requested instants to UTC and refuses what is not a date-time', () => {
    expect(normalizeRecordedAt('2025-03-01T15:00:00+07:00')).toBe('2025-03-01T08:00:00.000Z');
    expect(() => normalizeRecordedAt('2025-03-01')).toThrow(TypeError);
  });
});

describe('idempotency decision', () => {
  const pending = flatten([request('a', 'any', newEvents(2)), request('b', 'any', [newEvent()])]);
  const marker = (i: number, overrides: Partial<MarkerData> = {}): MarkerData => ({
    streamId: pending[i]?.streamId ?? '',
    revision: i,
    position: 10 + i,
    recordedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  });

  it('no marker: a fresh append', () => {
    expect(alreadyRecorded(pending, [undefined, undefined, undefined])).toBeUndefined();
  });

  it('every event recorded in the same streams and order: the original events', () => {
    expect(
      alreadyRecorded(pending, [marker(0), marker(1), marker(2)])?.map((e) => [e.eventId, e.position]),
    ).toEqual(pending.map((e, i) => [e.eventId, 10 + i]));
  });

  it('some recorded, or recorded elsewhere or in another order: DuplicateEventId', () => {
    expect(() => alreadyRecorded(pending, [undefined, marker(1), undefined])).toThrow(DuplicateEventId);
    expect(() => alreadyRecorded(pending, [marker(0), marker(1), marker(2, { streamId: 'c' })])).toThrow(
      /stream c/,
    );
    expect(() => alreadyRecorded(pending, [marker(0), marker(1, { position: 5 }), marker(2)])).toThrow(
      /order/,
    );
  });
});

describe('positions', () => {
  it('$all order is commit, then prepare', () => {
    expect(comparePositions(at(10, 10), at(10, 20))).toBe(-1);
    expect(comparePositions(at(20, 20), at(10, 90))).toBe(1);
    expect(comparePositions(at(5, 7), at(5, 7))).toBe(0);
  });

  it('the clock index answers "where do events after ledger position p start" with the last append ending at or before p', () => {
    const index = new ClockIndex(8);
    index.add(3, at(100));
    index.add(7, at(300));
    index.add(5, at(200));
    expect(index.floor(2)).toBeUndefined();
    expect(index.floor(3)?.at).toEqual(at(100));
    expect(index.floor(6)?.at).toEqual(at(200));
    expect(index.floor(1000)?.at).toEqual(at(300));
    for (let i = 10; i < 30; i++) index.add(i, at(i * 100));
    expect(index.size).toBeLessThanOrEqual(8);
    expect(index.floor(29)?.at).toEqual(at(2900));
  });

  it('the sequencer hands events out in ledger order whatever order $all lays them out in', () => {
    const event = (position: number) => ({ position }) as RecordedEvent;
    const sequence = new Sequencer(4);
    for (const p of [3, 7, 5, 4, 6]) sequence.offer(event(p));
    expect(sequence.ready.map((e) => e.position)).toEqual([5, 6, 7]);
    sequence.offer(event(9));
    expect([sequence.next, sequence.hasGap]).toEqual([8, true]);
    sequence.offer(event(8));
    expect(sequence.ready.map((e) => e.position)).toEqual([5, 6, 7, 8, 9]);
    expect(sequence.hasGap).toBe(false);
  });
});

describe('naming and the server-side filter', () => {
  it('selects ledger streams and the clock, not markers nor system streams', () => {
    for (const ns of ['', 'tenant-1.']) {
      const n = names(ns);
      const filter = new RegExp(n.allFilterRegex);
      for (const stream of [
        'unit:752',
        'value:2024:752:satisfaction',
        'score:m:2024:752',
        'checkpoint:scoring',
      ]) {
        expect(filter.test(n.stream(stream))).toBe(true);
        expect(n.ledgerStreamId(n.stream(stream))).toBe(stream);
      }
      expect(filter.test(n.clock)).toBe(true);
      expect(filter.test(n.marker('0190a1b2-0000-7000-8000-000000000000'))).toBe(false);
      expect(filter.test('$stats-127.0.0.1:2113')).toBe(false);
      expect(filter.test('$ce-unit')).toBe(false);
      expect(filter.test('$$unit:752')).toBe(false);
      expect(n.ledgerStreamId(n.clock)).toBeUndefined();
    }
    expect(new RegExp(names('a.').allFilterRegex).test('b.unit:1')).toBe(false);
    expect(new RegExp(names('a.').allFilterRegex).test('aXunit:1')).toBe(false);
    expect(() => names('_x')).toThrow(TypeError);
    expect(() => names('a b')).toThrow(TypeError);
  });
});

describe('codec', () => {
  it('round-trips a ledger event through the v2 append properties and a v1 read', () => {
    const [pending] = flatten([
      request('unit:752', 'any', [
        newEvent({
          data: { name: 'Long Điền', n: 1.5e300 },
          metadata: { actor: 'a', correlationId: 'c', causationId: null, source: { row: 3 } },
        }),
      ]),
    ]);
    if (pending === undefined) throw new Error('no event');
    const written = encodeLedgerEvent(pending, 42, '2025-01-01T00:00:00.000Z');
    expect(written.contentType).toBe('application/json');
    expect(Object.values(written.metadata as object).every((v) => typeof v === 'string')).toBe(true);
    // What a read returns: the properties as JSON metadata, plus the server's schema entries.
    const read = {
      streamId: 'unit:752',
      id: pending.eventId,
      revision: 3n,
      type: pending.type,
      isJson: true,
      created: new Date(),
      data: JSON.parse(JSON.stringify(written.data)),
      metadata: { ...(written.metadata as object), '$schema.format': 'Json', '$schema.name': pending.type },
    } as KurrentRecordedEvent;
    expect(decodeLedgerEvent(read, 'unit:752')).toStrictEqual({
      eventId: pending.eventId,
      type: pending.type,
      schemaVersion: 1,
      streamId: 'unit:752',
      revision: 3,
      position: 42,
      recordedAt: '2025-01-01T00:00:00.000Z',
      data: pending.data,
      metadata: pending.metadata,
    });
    expect(
      decodeLedgerEvent({ ...read, metadata: { other: 'x' } } as KurrentRecordedEvent, 'unit:752'),
    ).toBeUndefined();
    expect(
      decodeLedgerEvent({ ...read, metadata: undefined } as KurrentRecordedEvent, 'unit:752'),
    ).toBeUndefined();
  });
});

describe('errors and connection strings', () => {
  it('tells transient failures and conflicts apart', () => {
    const conflict = new WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: NO_STREAM,
      current: 0n,
    });
    expect(isTransient(new UnavailableError())).toBe(true);
    expect(isTransient(conflict)).toBe(false);
    expect(isConflict(conflict)).toBe(true);
    expect(isConflict(new UnavailableError())).toBe(false);
    expect(String(explainAppendError({ code: 12 }))).toMatch(/25\.1/);
  });

  it('recognizes KurrentDB connection strings', () => {
    for (const s of [
      'kurrentdb://kurrentdb:2113?tls=false',
      'kurrentdb+discover://admin:changeit@node1:2113,node2:2113,node3:2113',
      'esdb://localhost:2113?tls=false',
      'kdb://h:1',
    ]) {
      expect(isKurrentDBConnectionString(s)).toBe(true);
    }
    for (const s of ['sqlite:./x', 'http://h:2113', 'kurrentdb://', ''])
      expect(isKurrentDBConnectionString(s)).toBe(false);
  });
});
