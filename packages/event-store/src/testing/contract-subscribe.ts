import type { RecordedEvent } from '@ledger/domain';
import { describe, expect, it } from 'vitest';
import { WrongExpectedRevision } from '../errors.ts';
import type { SubscribeOptions } from '../port.ts';
import type { ContractHarness } from './fixture.ts';
import { newEvent, newEvents, newStreamId, request, settle, waitFor } from './helpers.ts';

/** Long enough for a polling adapter to have noticed anything it was going to deliver. */
const QUIET_MS = 300;

/** Records what a subscription delivers. */
function collector(handle?: (batch: readonly RecordedEvent[]) => void | Promise<void>) {
  const batches: RecordedEvent[][] = [];
  const errors: unknown[] = [];
  return {
    batches,
    errors,
    events: () => batches.flat(),
    ids: () => batches.flat().map((e) => e.eventId),
    options: (after: number, batchSize?: number): SubscribeOptions => ({
      after,
      ...(batchSize === undefined ? {} : { batchSize }),
      onEvents: (batch) => {
        batches.push([...batch]);
        return handle?.(batch);
      },
      onError: (error) => {
        errors.push(error);
      },
    }),
  };
}

function expectIncreasingPositions(events: readonly RecordedEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    expect(events[i]?.position).toBeGreaterThan(events[i - 1]?.position ?? 0);
  }
}

export function subscribeContract(fixture: () => ContractHarness): void {
  describe('subscribe', () => {
    it('delivers the events after the checkpoint, then later appends, in order and once each', async () => {
      const { store, track } = fixture();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', newEvents(3))]);
      const existing = await store.readAll();
      const sink = collector();
      track(store.subscribe(sink.options(existing[0]?.position ?? 0, 2)));
      await waitFor(() => sink.events().length >= 2, 5_000, 'the existing events');

      const later = [...newEvents(2), newEvent()];
      await store.append([request(stream, 2, later.slice(0, 2))]);
      await store.append([request(newStreamId(), 'no_stream', later.slice(2))]);
      await waitFor(() => sink.events().length >= 5, 5_000, 'the later events');
      await settle(QUIET_MS);

      expect(sink.ids()).toEqual([
        ...existing.slice(1).map((e) => e.eventId),
        ...later.map((e) => e.eventId),
      ]);
      expect(sink.events()).toEqual((await store.readAll()).slice(1));
      expectIncreasingPositions(sink.events());
      expect(sink.batches.every((batch) => batch.length >= 1 && batch.length <= 2)).toBe(true);
      expect(sink.errors).toEqual([]);
    });

    it('resuming from a checkpoint delivers only the events after it', async () => {
      const { store, track } = fixture();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', newEvents(3))]);
      const first = collector();
      const subscription = track(store.subscribe(first.options(0)));
      await waitFor(() => first.events().length >= 3, 5_000, 'the first three events');
      await subscription.close();
      const checkpoint = first.events().at(-1)?.position ?? 0;

      const later = newEvents(2);
      await store.append([request(stream, 2, later)]);
      const resumed = collector();
      track(store.subscribe(resumed.options(checkpoint)));
      await waitFor(() => resumed.events().length >= 2, 5_000, 'the events after the checkpoint');
      await settle(QUIET_MS);
      expect(resumed.ids()).toEqual(later.map((e) => e.eventId));
      expect(first.events()).toHaveLength(3);
    });

    it('hands over the next batch only once the previous one is handled', async () => {
      const { store, track } = fixture();
      let inFlight = 0;
      let maxInFlight = 0;
      const sink = collector(async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await settle(10);
        inFlight--;
      });
      const events = newEvents(4);
      await store.append([request(newStreamId(), 'no_stream', events)]);
      track(store.subscribe(sink.options(0, 1)));
      await waitFor(() => sink.events().length >= 4 && inFlight === 0, 5_000, 'four batches');
      expect(maxInFlight).toBe(1);
      expect(sink.batches.map((batch) => batch.length)).toEqual([1, 1, 1, 1]);
      expect(sink.ids()).toEqual(events.map((e) => e.eventId));
    });

    it('close() waits for the batch in hand, then nothing more is delivered', async () => {
      const { store, track } = fixture();
      let started = false;
      let finished = false;
      const sink = collector(async () => {
        started = true;
        await settle(100);
        finished = true;
      });
      const stream = newStreamId();
      const subscription = track(store.subscribe(sink.options(0)));
      await store.append([request(stream, 'no_stream', [newEvent()])]);
      await waitFor(() => started, 5_000, 'the first batch');

      const closing = subscription.close();
      expect(finished).toBe(false);
      await closing;
      expect(finished).toBe(true);

      await store.append([request(stream, 0, newEvents(2))]);
      await settle(QUIET_MS);
      expect(sink.batches).toHaveLength(1);
      expect(sink.errors).toEqual([]);
    });

    it('an error thrown by onEvents calls onError once and stops delivery', async () => {
      const { store, track } = fixture();
      const boom = new Error('projection failed');
      const sink = collector(() => {
        throw boom;
      });
      const stream = newStreamId();
      const subscription = track(store.subscribe(sink.options(0)));
      await store.append([request(stream, 'no_stream', [newEvent()])]);
      await waitFor(() => sink.errors.length > 0, 5_000, 'onError');

      await store.append([request(stream, 0, newEvents(2))]);
      await settle(QUIET_MS);
      expect(sink.batches).toHaveLength(1);
      expect(sink.errors).toEqual([boom]);
      await subscription.close();
    });

    it('delivers events appended through a second instance on the same data', async ({ skip }) => {
      const { store, reopen, track } = fixture();
      if (reopen === undefined) return skip('the adapter cannot open a second instance (fixture.reopen)');
      const other = await reopen();
      const sink = collector();
      track(store.subscribe(sink.options(0)));
      const stream = newStreamId();
      const fromOther = newEvents(2);
      await other.append([request(stream, 'no_stream', fromOther)]);
      await waitFor(() => sink.events().length >= 2, 5_000, "the other instance's events");
      const fromThis = newEvent();
      await store.append([request(stream, 1, [fromThis])]);
      await waitFor(() => sink.events().length >= 3, 5_000, "this instance's event");
      await settle(QUIET_MS);
      expect(sink.ids()).toEqual([...fromOther, fromThis].map((e) => e.eventId));
      expectIncreasingPositions(sink.events());
    });
  });

  describe('concurrency', () => {
    it('of two concurrent appends expecting the same revision, exactly one succeeds', async () => {
      const { store, reopen } = fixture();
      const other = reopen === undefined ? store : await reopen();
      const stream = newStreamId();
      await store.append([request(stream, 'no_stream', [newEvent()])]);
      const [mine, theirs] = [newEvent(), newEvent()];

      const outcomes = await Promise.allSettled([
        store.append([request(stream, 0, [mine])]),
        other.append([request(stream, 0, [theirs])]),
      ]);
      const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
      const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(succeeded).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toBeInstanceOf(WrongExpectedRevision);
      expect((failed[0] as WrongExpectedRevision).actual).toBe(1);

      const events = await store.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual([0, 1]);
      const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
      expect(events[1]?.eventId).toBe((winner === 0 ? mine : theirs).eventId);
    });
  });
}
