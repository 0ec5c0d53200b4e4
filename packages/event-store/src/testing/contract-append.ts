import { describe, expect, it } from 'vitest';
import { DuplicateEventId, WrongExpectedRevision } from '../errors.ts';
import type { AppendRequest, EventStore, ReadStreamOptions } from '../port.ts';
import type { ContractHarness } from './fixture.ts';
import { expectRejection, newEvent, newEvents, newStreamId, request } from './helpers.ts';

/** Head and whole log, to show that a refused append wrote nothing. */
export async function snapshot(store: EventStore) {
  return { head: await store.head(), log: await store.readAll() };
}

/** Runs a refused append and checks the log is exactly as before. Returns the error. */
export async function expectRefusedAndNothingWritten<E extends Error>(
  store: EventStore,
  append: () => Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
): Promise<E> {
  const before = await snapshot(store);
  const error = await expectRejection(append(), errorClass);
  expect(await snapshot(store)).toEqual(before);
  return error;
}

function expectWrongRevision(
  error: WrongExpectedRevision,
  streamId: string,
  expected: unknown,
  actual: number,
) {
  expect(error.streamId).toBe(streamId);
  expect(error.expected).toBe(expected);
  expect(error.actual).toBe(actual);
}

export function appendContract(fixture: () => ContractHarness): void {
  describe('expected revision', () => {
    it("'no_stream' appends to a new stream and is refused on an existing one", async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const first = await store.append([request(stream, 'no_stream', [newEvent()])]);
      expect(first.events.map((e) => e.revision)).toEqual([0]);

      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, 'no_stream', [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(error, stream, 'no_stream', 0);
    });

    it("'exists' is refused on a missing stream and appends to an existing one", async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, 'exists', [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(error, stream, 'exists', -1);

      await store.append([request(stream, 'no_stream', [newEvent()])]);
      const result = await store.append([request(stream, 'exists', [newEvent(), newEvent()])]);
      expect(result.events.map((e) => e.revision)).toEqual([1, 2]);
    });

    it('an exact revision appends when right and is refused when stale or ahead', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', newEvents(2))]);

      const right = await store.append([request(stream, 1, [newEvent()])]);
      expect(right.events.map((e) => e.revision)).toEqual([2]);

      const stale = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, 1, [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(stale, stream, 1, 2);

      const ahead = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, 7, [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(ahead, stream, 7, 2);
    });

    it('revision -1 means the stream has no events', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const created = await store.append([request(stream, -1, [newEvent()])]);
      expect(created.events.map((e) => e.revision)).toEqual([0]);

      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, -1, [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(error, stream, -1, 0);

      const missing = newStreamId();
      const refused = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(missing, 0, [newEvent()])]),
        WrongExpectedRevision,
      );
      expectWrongRevision(refused, missing, 0, -1);
    });

    it("'any' appends to a missing stream and to an existing one", async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const first = await store.append([request(stream, 'any', [newEvent()])]);
      const second = await store.append([request(stream, 'any', newEvents(2))]);
      expect([...first.events, ...second.events].map((e) => e.revision)).toEqual([0, 1, 2]);
    });
  });

  describe('atomic appends', () => {
    it('one refused request among several writes nothing at all', async () => {
      const { store } = fixture();
      const existing = newStreamId();
      await store.append([request(existing, 'no_stream', [newEvent()])]);
      const fresh = newStreamId();
      const missing = newStreamId();
      const other = newStreamId();

      const error = await expectRefusedAndNothingWritten(
        store,
        () =>
          store.append([
            request(fresh, 'no_stream', newEvents(2)),
            request(existing, 0, [newEvent()]),
            request(missing, 'exists', [newEvent()]),
            request(other, 'any', [newEvent()]),
          ]),
        WrongExpectedRevision,
      );
      expectWrongRevision(error, missing, 'exists', -1);
      expect(await store.readStream(fresh)).toEqual([]);
      expect(await store.readStream(other)).toEqual([]);
      expect(await store.readStream(existing)).toHaveLength(1);
    });

    it('the first request whose expectation fails is named, even when a later one fails too', async () => {
      const { store } = fixture();
      const existing = newStreamId();
      await store.append([request(existing, 'no_stream', [newEvent()])]);
      const fresh = newStreamId();
      const missing = newStreamId();

      for (const expected of ['no_stream', -1] as const) {
        const error = await expectRefusedAndNothingWritten(
          store,
          () =>
            store.append([
              request(fresh, expected, [newEvent()]),
              request(existing, expected, [newEvent()]),
              request(missing, 'exists', [newEvent()]),
            ]),
          WrongExpectedRevision,
        );
        expectWrongRevision(error, existing, expected, 0);
      }
      expect(await store.readStream(fresh)).toEqual([]);
    });

    it('a call may append to the same stream twice, checked against what the call wrote so far', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const events = newEvents(3);
      const result = await store.append([
        request(stream, 'no_stream', events.slice(0, 2)),
        request(stream, 1, events.slice(2)),
      ]);
      expect(result.alreadyRecorded).toBe(false);
      expect(result.events.map((e) => [e.eventId, e.streamId, e.revision])).toEqual(
        events.map((e, i) => [e.eventId, stream, i]),
      );
      expect((await store.readStream(stream)).map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));

      const again = newStreamId();
      const error = await expectRefusedAndNothingWritten(
        store,
        () =>
          store.append([
            request(again, 'no_stream', [newEvent()]),
            request(again, 'no_stream', [newEvent()]),
          ]),
        WrongExpectedRevision,
      );
      expectWrongRevision(error, again, 'no_stream', 0);
    });

    it('an append with no events returns no events and writes nothing', async () => {
      const { store } = fixture();
      const before = await snapshot(store);
      expect(await store.append([])).toEqual({ events: [], alreadyRecorded: false });
      expect(await store.append([request(newStreamId(), 'any', [])])).toEqual({
        events: [],
        alreadyRecorded: false,
      });
      expect(await snapshot(store)).toEqual(before);
    });
  });

  describe('revisions and positions', () => {
    it('gives consecutive revisions per stream from 0 and increasing positions in append order', async () => {
      const { store } = fixture();
      const a = newStreamId('a');
      const b = newStreamId('b');
      const [a1, a2, a3, b1, b2] = [newEvent(), newEvent(), newEvent(), newEvent(), newEvent()];
      const calls: AppendRequest[][] = [
        [request(a, 'no_stream', [a1, a2]), request(b, 'no_stream', [b1])],
        [request(b, 0, [b2]), request(a, 1, [a3])],
      ];
      const appended = [];
      for (const call of calls) appended.push(...(await store.append(call)).events);

      const order = [a1, a2, b1, b2, a3].map((e) => e.eventId);
      expect(appended.map((e) => e.eventId)).toEqual(order);
      expect(appended.map((e) => [e.streamId, e.revision])).toEqual([
        [a, 0],
        [a, 1],
        [b, 0],
        [b, 1],
        [a, 2],
      ]);
      const positions = appended.map((e) => e.position);
      for (let i = 1; i < positions.length; i++) {
        expect(positions[i]).toBeGreaterThan(positions[i - 1] as number);
      }
      expect(positions[0]).toBeGreaterThan(0);

      const log = await store.readAll();
      expect(log.map((e) => [e.eventId, e.streamId, e.revision, e.position])).toEqual(
        appended.map((e) => [e.eventId, e.streamId, e.revision, e.position]),
      );
      expect((await store.head()).position).toBe(positions.at(-1));
    });

    it('readAll pages by position with after and limit', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', newEvents(4))]);
      await store.append([request(newStreamId(), 'no_stream', newEvents(3))]);
      const all = await store.readAll();
      expect(all).toHaveLength(7);

      const pages = [];
      let after = 0;
      for (;;) {
        const page = await store.readAll({ after, limit: 3 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(3);
        pages.push(page);
        after = page.at(-1)?.position ?? after;
      }
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(all);

      const middle = all[2]?.position ?? 0;
      expect(await store.readAll({ after: middle })).toEqual(all.slice(3));
      expect(await store.readAll({ after: middle, limit: 2 })).toEqual(all.slice(3, 5));
      expect(await store.readAll({ after: all.at(-1)?.position ?? 0 })).toEqual([]);
    });

    it('readStream reads from a revision, forwards or backwards, at most maxCount events', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', newEvents(3))]);
      await store.append([request(newStreamId(), 'no_stream', newEvents(2))]);
      await store.append([request(stream, 2, newEvents(2))]);
      const revisions = async (options?: ReadStreamOptions) =>
        (await store.readStream(stream, options)).map((e) => e.revision);

      expect(await revisions()).toEqual([0, 1, 2, 3, 4]);
      expect(await revisions({ fromRevision: 2 })).toEqual([2, 3, 4]);
      expect(await revisions({ maxCount: 2 })).toEqual([0, 1]);
      expect(await revisions({ fromRevision: 1, maxCount: 3 })).toEqual([1, 2, 3]);
      expect(await revisions({ fromRevision: 5 })).toEqual([]);
      expect(await store.readStream(newStreamId())).toEqual([]);
      expect(await revisions({ direction: 'backwards', maxCount: 1 })).toEqual([4]);
      expect(await revisions({ direction: 'backwards', fromRevision: 2 })).toEqual([2, 1, 0]);
      expect(await revisions({ direction: 'backwards', fromRevision: 3, maxCount: 2 })).toEqual([3, 2]);
      expect(await store.readStream(newStreamId(), { direction: 'backwards' })).toEqual([]);
      const events = await store.readStream(stream);
      expect(events.every((e) => e.streamId === stream)).toBe(true);
    });
  });

  describe('idempotent append', () => {
    it('a retried call returns the original events and records nothing, whatever it expects', async () => {
      const { store } = fixture();
      const a = newStreamId('a');
      const b = newStreamId('b');
      const call = [request(a, 'no_stream', newEvents(2)), request(b, 'no_stream', [newEvent()])];
      const first = await store.append(call);
      expect(first.alreadyRecorded).toBe(false);
      await store.append([request(a, 'any', [newEvent()])]);
      const before = await snapshot(store);

      const retried = await store.append(call);
      expect(retried).toEqual({ events: first.events, alreadyRecorded: true });
      const withAny = await store.append(call.map((r) => ({ ...r, expectedRevision: 'any' as const })));
      expect(withAny).toEqual({ events: first.events, alreadyRecorded: true });
      const numeric = await store.append(call.map((r) => ({ ...r, expectedRevision: 0 })));
      expect(numeric).toEqual({ events: first.events, alreadyRecorded: true });
      expect(await snapshot(store)).toEqual(before);
    });

    it('a call with some events already recorded is refused with DuplicateEventId', async () => {
      const { store } = fixture();
      const stream = newStreamId();
      const recorded = newEvent();
      await store.append([request(stream, 'no_stream', [recorded])]);

      const after = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(stream, 0, [recorded, newEvent()])]),
        DuplicateEventId,
      );
      expect(after.eventId).toBe(recorded.eventId);

      const before = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'any', [newEvent()]), request(stream, 'any', [recorded])]),
        DuplicateEventId,
      );
      expect(before.eventId).toBe(recorded.eventId);
      expect(before.message).toMatch(/other events of this append are not/);
    });

    it('an event id recorded in another stream is refused with DuplicateEventId', async () => {
      const { store } = fixture();
      const event = newEvent();
      await store.append([request(newStreamId(), 'no_stream', [event])]);
      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'any', [event])]),
        DuplicateEventId,
      );
      expect(error.eventId).toBe(event.eventId);
    });
  });
}
