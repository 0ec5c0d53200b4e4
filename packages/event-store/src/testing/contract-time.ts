import { describe, expect, it } from 'vitest';
import { RecordedAtConflict } from '../errors.ts';
import { expectRefusedAndNothingWritten } from './contract-append.ts';
import type { ContractHarness } from './fixture.ts';
import { ISO_UTC_MS, newEvent, newEvents, newStreamId, request } from './helpers.ts';

const NO_CLOCK = 'the adapter has no injectable clock (fixture.setNow)';
const BASE = Date.parse('2025-03-01T08:00:00.000Z');

/** The same instant written with a +07:00 offset (Vietnam), to show recordedAt is normalized to UTC. */
function inVietnam(ms: number): string {
  return new Date(ms + 7 * 3_600_000).toISOString().replace('Z', '+07:00');
}

export function timeContract(fixture: () => ContractHarness): void {
  describe('recordedAt and head', () => {
    it('head() of an empty log is position 0 with no recordedAt', async () => {
      const { store } = fixture();
      expect(await store.head()).toEqual({ position: 0, recordedAt: null });
    });

    it("stamps every event of one append with one recordedAt from the store's clock, in UTC", async () => {
      const { store, setNow } = fixture();
      setNow?.(BASE);
      const before = Date.now();
      const result = await store.append([
        request(newStreamId(), 'no_stream', newEvents(2)),
        request(newStreamId(), 'no_stream', [newEvent()]),
      ]);
      const after = Date.now();
      const stamps = new Set(result.events.map((e) => e.recordedAt));
      expect(stamps.size).toBe(1);
      const [recordedAt] = [...stamps];
      expect(recordedAt).toMatch(ISO_UTC_MS);
      if (setNow === undefined) {
        expect(Date.parse(recordedAt as string)).toBeGreaterThanOrEqual(before - 1);
        expect(Date.parse(recordedAt as string)).toBeLessThanOrEqual(after + 1);
      } else {
        expect(recordedAt).toBe(new Date(BASE).toISOString());
      }
      expect((await store.readAll()).map((e) => e.recordedAt)).toEqual([recordedAt, recordedAt, recordedAt]);
      const last = result.events.at(-1);
      expect(await store.head()).toEqual({ position: last?.position, recordedAt });
    });

    it('recordedAt never goes backwards when the clock does', async ({ skip }) => {
      const { store, setNow } = fixture();
      if (setNow === undefined) return skip(NO_CLOCK);
      const stream = newStreamId();
      setNow(BASE);
      await store.append([request(stream, 'any', [newEvent()])]);
      setNow(BASE - 60_000);
      const behind = await store.append([request(stream, 'any', newEvents(2))]);
      expect(behind.events.map((e) => e.recordedAt)).toEqual([
        new Date(BASE).toISOString(),
        new Date(BASE).toISOString(),
      ]);
      setNow(BASE + 1_000);
      const ahead = await store.append([request(stream, 'any', [newEvent()])]);
      expect(ahead.events[0]?.recordedAt).toBe(new Date(BASE + 1_000).toISOString());
      const stamps = (await store.readAll()).map((e) => Date.parse(e.recordedAt));
      expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    });

    it('options.recordedAt is accepted from the latest recordedAt up to now, normalized to UTC', async () => {
      const { store, setNow } = fixture();
      setNow?.(BASE);
      const first = await store.append([request(newStreamId(), 'no_stream', [newEvent()])]);
      const latest = Date.parse(first.events[0]?.recordedAt ?? '');

      const atLatest = await store.append([request(newStreamId(), 'no_stream', newEvents(2))], {
        recordedAt: inVietnam(latest),
      });
      expect(atLatest.events.map((e) => e.recordedAt)).toEqual([
        new Date(latest).toISOString(),
        new Date(latest).toISOString(),
      ]);

      if (setNow !== undefined) {
        setNow(BASE + 10_000);
        const between = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
          recordedAt: inVietnam(BASE + 4_000),
        });
        expect(between.events[0]?.recordedAt).toBe(new Date(BASE + 4_000).toISOString());
        const atNow = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
          recordedAt: new Date(BASE + 10_000).toISOString(),
        });
        expect(atNow.events[0]?.recordedAt).toBe(new Date(BASE + 10_000).toISOString());
      }
      const log = await store.readAll();
      expect((await store.head()).recordedAt).toBe(log.at(-1)?.recordedAt);
    });

    it('options.recordedAt before the latest recordedAt is refused and writes nothing', async () => {
      const { store, setNow } = fixture();
      setNow?.(BASE);
      const first = await store.append([request(newStreamId(), 'no_stream', [newEvent()])]);
      const latest = Date.parse(first.events[0]?.recordedAt ?? '');
      const requested = new Date(latest - 1).toISOString();
      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt: requested }),
        RecordedAtConflict,
      );
      expect(error.requested).toBe(requested);
      expect(error.bound).toBe(new Date(latest).toISOString());
    });

    it('options.recordedAt in the future is refused and writes nothing', async () => {
      const { store, setNow } = fixture();
      setNow?.(BASE);
      const future = setNow === undefined ? Date.now() + 3_600_000 : BASE + 1;
      const requested = new Date(future).toISOString();
      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt: requested }),
        RecordedAtConflict,
      );
      expect(error.requested).toBe(requested);
      if (setNow !== undefined) expect(error.bound).toBe(new Date(BASE).toISOString());
    });

    it("options.derivedFrom records derived events at their input's instant, or at the latest if later", async () => {
      const { store, setNow } = fixture();
      setNow?.(BASE + 60_000);
      const input = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        recordedAt: new Date(BASE).toISOString(),
      });
      const inputAt = input.events[0]?.recordedAt as string;
      const derived = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        derivedFrom: inputAt,
      });
      expect(derived.events[0]?.recordedAt).toBe(inputAt);

      const later = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        recordedAt: new Date(BASE + 5_000).toISOString(),
      });
      const clamped = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        derivedFrom: inVietnam(BASE),
      });
      expect(clamped.events[0]?.recordedAt).toBe(later.events[0]?.recordedAt);
      const stamps = (await store.readAll()).map((e) => Date.parse(e.recordedAt));
      expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    });

    it('an options.recordedAt that is not a date-time is refused and writes nothing', async () => {
      const { store } = fixture();
      await store.append([request(newStreamId(), 'no_stream', [newEvent()])]);
      for (const recordedAt of ['not a date', '', '2025-13-45T99:00:00Z']) {
        await expectRefusedAndNothingWritten(
          store,
          () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt }),
          Error,
        );
      }
    });
  });
}
