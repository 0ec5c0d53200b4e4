import { bookkeepingStreams } from '@ledger/domain';
import { describe, expect, it } from 'vitest';
import { InvalidEvent, RecordedAtConflict } from '../errors.ts';
import { expectRefusedAndNothingWritten } from './contract-append.ts';
import type { ContractHarness } from './fixture.ts';
import { newEvent, newStreamId, request } from './helpers.ts';

const nested = (depth: number): unknown => (depth === 0 ? 1 : { level: nested(depth - 1) });

/** A valid ledger event body, to spoil one field at a time. */
const submitted = {
  submissionId: '0190f0a0-0000-7000-8000-000000000001',
  unitId: '747',
  indicator: 'on-time',
  period: '2023',
  value: 97.5,
  source: null,
  reportedAt: null,
};

/**
 * What every adapter refuses before it appends anything: whatever one reader of the log could not
 * take (fold, hash by RFC 8785, read back exactly), and a requested recordedAt once the log is sealed.
 */
export function rulesContract(fixture: () => ContractHarness): void {
  describe('what no reader could take', () => {
    const refusals: [string, Record<string, unknown>][] = [
      ['a lone surrogate in data', { data: { name: 'x \ud800' } }],
      ['a lone surrogate in a key', { data: { '\udc00': 1 } }],
      [
        'a lone surrogate in metadata',
        { metadata: { actor: '\ud800', correlationId: 'c', causationId: null } },
      ],
      ['NaN', { data: { value: Number.NaN } }],
      ['Infinity', { data: { total: Number.POSITIVE_INFINITY } }],
      ['an undefined member', { data: { value: undefined } }],
      ['a Date', { data: { at: new Date(0) } }],
      ['a Map', { data: { values: new Map([['a', 1]]) } }],
      ['a function', { data: { toJSON: () => 1 } }],
      ['nesting deeper than 64 levels', { data: nested(65) }],
      ['metadata without an actor', { metadata: { correlationId: 'c', causationId: null } }],
      [
        'a ledger event whose data does not match its schema',
        { type: 'ledger.value-submitted.v1', data: { ...submitted, value: 'x' } },
      ],
      ['a score with a total no reader takes', { type: 'ledger.score-computed.v1', data: { total: null } }],
    ];
    for (const [what, spoiled] of refusals)
      it(`refuses ${what}, and records nothing of the append`, async () => {
        const { store } = fixture();
        const error = await expectRefusedAndNothingWritten(
          store,
          () =>
            store.append([
              request(newStreamId(), 'no_stream', [newEvent()]),
              request(newStreamId(), 'no_stream', [newEvent(spoiled)]),
            ]),
          InvalidEvent,
        );
        expect(error.message).toMatch(/cannot be recorded/);
      });

    it('records what every reader takes: deep enough, Vietnamese, NFD, astral, a valid ledger event', async () => {
      const { store } = fixture();
      const events = [
        newEvent({ data: nested(60) }),
        newEvent({ data: { name: 'Bà Rịa-Vũng Tàu'.normalize('NFD'), emoji: '😀', zero: -0 } }),
        newEvent({ type: 'ledger.value-submitted.v1', data: submitted }),
      ];
      const result = await store.append([request(newStreamId(), 'no_stream', events)]);
      expect(result.events).toHaveLength(3);
      const read = await store.readAll({ after: (result.events[0]?.position ?? 1) - 1 });
      expect(read.map((e) => e.data)).toEqual([
        nested(60),
        { ...(events[1]?.data as object), zero: 0 },
        submitted,
      ]);
    });
  });

  describe('the recordedAt an append asks for', () => {
    for (const at of [
      '2024-02-30T00:00:00Z',
      '2024-01-31T10:00Z',
      '2024-01-31T10:00:00',
      '2024-01-31T24:00:00Z',
    ])
      it(`refuses ${at}, which the door refuses too, and records nothing`, async () => {
        const { store } = fixture();
        const error = await expectRefusedAndNothingWritten(
          store,
          () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt: at }),
          TypeError,
        );
        expect(error.message).toMatch(/ISO-8601/);
      });
  });

  describe('the seal', () => {
    const seal = () =>
      request(bookkeepingStreams.seal, 'no_stream', [
        newEvent({ type: 'ledger.ledger-sealed.v1', data: { reason: 'imported' } }),
      ]);

    it('refuses a requested recordedAt once the log holds its seal, even at the latest; derived and clock appends go on', async () => {
      const { store } = fixture();
      const imported = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        recordedAt: new Date(Date.now() - 60_000).toISOString(),
      });
      const sealed = await store.append([seal()]);
      const latest = sealed.events[0]?.recordedAt as string;
      expect(Date.parse(latest)).toBeGreaterThanOrEqual(Date.parse(imported.events[0]?.recordedAt as string));

      const error = await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt: latest }),
        RecordedAtConflict,
      );
      expect(error.reason).toBe('sealed');
      expect(error.message).toMatch(/sealed/);

      const derived = await store.append([request(newStreamId(), 'no_stream', [newEvent()])], {
        derivedFrom: imported.events[0]?.recordedAt as string,
      });
      expect(derived.events[0]?.recordedAt).toBe(latest);
      const clock = await store.append([request(newStreamId(), 'no_stream', [newEvent()])]);
      expect(Date.parse(clock.events[0]?.recordedAt as string)).toBeGreaterThanOrEqual(Date.parse(latest));
    });

    it('an append that seals the log records its own events at the recordedAt it asked for', async () => {
      const { store } = fixture();
      const at = new Date(Date.now() - 60_000).toISOString();
      const sealing = await store.append([request(newStreamId(), 'no_stream', [newEvent()]), seal()], {
        recordedAt: at,
      });
      expect(sealing.events.map((e) => e.recordedAt)).toEqual([at, at]);
      await expectRefusedAndNothingWritten(
        store,
        () => store.append([request(newStreamId(), 'no_stream', [newEvent()])], { recordedAt: at }),
        RecordedAtConflict,
      );
    });
  });
}
