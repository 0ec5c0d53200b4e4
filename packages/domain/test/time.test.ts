import { describe, expect, it } from 'vitest';
import { bookkeepingStreams } from '../src/streams.ts';
import { decideTime, FIRST_CLOCK_WRITE, isSealed } from '../src/time.ts';
import { createWriteState, evolveWriteState, type WriteState } from '../src/write-state.ts';
import { rejectionOf } from './fixtures.ts';

const AT = '2024-01-05T02:00:00.000Z';

const sealed = (): WriteState => {
  const state = createWriteState();
  evolveWriteState(state, bookkeepingStreams.seal, {
    type: 'ledger.ledger-sealed.v1',
    data: { reason: null },
  });
  return state;
};

describe('the time rule', () => {
  describe('Given a ledger open for import', () => {
    it('When a write asks for its recordedAt, Then it is taken, and the ledger stays open', () => {
      const state = createWriteState();
      expect(decideTime(state, { recordedAt: AT })).toBeUndefined();
      expect(isSealed(state)).toBe(false);
    });

    it('When a write is recorded at the clock, Then it seals the ledger, saying why', () => {
      expect(decideTime(createWriteState(), { recordedAt: undefined })).toEqual({
        streamId: 'ledger:seal',
        expectedRevision: -1,
        event: { type: 'ledger.ledger-sealed.v1', data: { reason: FIRST_CLOCK_WRITE } },
      });
    });

    it('When ops seal it, Then the seal carries their reason, or none', () => {
      const withReason = decideTime(createWriteState(), {
        recordedAt: undefined,
        seal: { reason: 'Đã nhập xong' },
      });
      expect(withReason?.event.data).toEqual({ reason: 'Đã nhập xong' });
      const without = decideTime(createWriteState(), { recordedAt: undefined, seal: { reason: null } });
      expect(without?.event.data).toEqual({ reason: null });
    });
  });

  describe('Given a sealed ledger', () => {
    it('When a write asks for its recordedAt, Then it is refused at recordedAt', () => {
      const refused = rejectionOf(() => decideTime(sealed(), { recordedAt: AT }));
      expect(refused.kind).toBe('conflict');
      expect(refused.errors[0]?.path).toBe('recordedAt');
    });

    it('When a write is recorded at the clock, Then it records no second seal', () => {
      expect(isSealed(sealed())).toBe(true);
      expect(decideTime(sealed(), { recordedAt: undefined })).toBeUndefined();
    });

    it('When ops seal it again, Then that is a conflict (the ops call answers with the seal there is)', () => {
      expect(
        rejectionOf(() => decideTime(sealed(), { recordedAt: undefined, seal: { reason: null } })).kind,
      ).toBe('conflict');
    });
  });
});
