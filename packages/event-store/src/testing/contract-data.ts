import { describe, expect, it } from 'vitest';
import type { ContractHarness } from './fixture.ts';
import { newEvent, newStreamId, request } from './helpers.ts';

const DATA = {
  unit: { code: 'TX-PHU-MY', name: 'Thị xã Phú Mỹ', province: 'Bà Rịa-Vũng Tàu' },
  decomposed: 'Bà Rịa-Vũng Tàu'.normalize('NFD'),
  symbols: 'đ Đ ơ ư ₫ “quoted” \\ / \n\t 😀',
  numbers: {
    zero: 0,
    negative: -42,
    fraction: 0.1,
    tiny: 1e-7,
    large: Number.MAX_SAFE_INTEGER,
    exp: 1.5e300,
  },
  flags: [true, false, null],
  nested: { scores: [{ indicator: 'PAPI-1', value: 6.25, weights: [0.5, 0.25, 0.25] }], empty: {}, list: [] },
  emptyText: '',
};

export function dataContract(fixture: () => ContractHarness): void {
  describe('event bodies', () => {
    it('round-trips type, schemaVersion, data and metadata exactly, Vietnamese included', async () => {
      const { store } = fixture();
      const stream = newStreamId('đơn-vị');
      const event = newEvent({
        type: 'UnitRenamed',
        schemaVersion: 3,
        data: DATA,
        metadata: {
          actor: 'Nguyễn Văn Ánh',
          correlationId: 'corr-Phú-Mỹ',
          causationId: 'cause-1',
          source: { file: 'Bà Rịa-Vũng Tàu.xlsx', row: 17 },
        },
      });
      const [appended] = (await store.append([request(stream, 'no_stream', [event])])).events;

      const expected = {
        eventId: event.eventId,
        type: 'UnitRenamed',
        schemaVersion: 3,
        streamId: stream,
        revision: 0,
        position: appended?.position,
        recordedAt: appended?.recordedAt,
        data: DATA,
        metadata: event.metadata,
      };
      const [fromStream] = await store.readStream(stream);
      expect(fromStream).toStrictEqual(expected);
      const fromLog = (await store.readAll()).find((e) => e.eventId === event.eventId);
      expect(fromLog).toStrictEqual(expected);
      const data = fromStream?.data as typeof DATA | undefined;
      expect(data?.decomposed).toBe('Bà Rịa-Vũng Tàu'.normalize('NFD'));
      expect(data?.unit.name).toBe('Thị xã Phú Mỹ');
    });
  });
}
