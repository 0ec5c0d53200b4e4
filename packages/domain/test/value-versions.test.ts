import { describe, expect, it } from 'vitest';
import { evolve } from '../src/ledger-fold.ts';
import {
  createLedgerIndex,
  inMemoryValueDetails,
  type LedgerRecordedEvent,
  noValueDetails,
} from '../src/ledger-index.ts';
import { createValueVersions } from '../src/value-versions.ts';
import { viewAt } from '../src/view.ts';
import { catalogLedger, cmd, IND } from './fixtures.ts';

const FIRST = '0190a0b4-0000-7000-8000-00000000000a';
const SECOND = 'ffffffff-0000-7000-8000-00000000000b';
const uuidOf = (n: number) => `0190a0b4-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

describe('value versions', () => {
  it('Given a submission, a correction and a retraction, Then each position sees the version in force then', () => {
    const values = createValueVersions({ keepSubmissionIds: true });
    values.record('HN', 'online', '2024', 10, 95, FIRST);
    values.record('HN', 'online', '2024', 20, 60, FIRST);
    expect(values.isInForce('HN', 'online', '2024', FIRST)).toBe(true);
    expect(values.isInForce('HN', 'online', '2024', FIRST.toUpperCase())).toBe(true);
    expect(values.isInForce('HN', 'online', '2024', SECOND)).toBe(false);
    values.record('HN', 'online', '2024', 30, null, null);
    expect(values.isInForce('HN', 'online', '2024', FIRST)).toBe(false);
    values.record('HN', 'online', '2024', 40, 70, SECOND);
    expect(values.isInForce('HN', 'online', '2024', SECOND)).toBe(true);
    expect(values.isInForce('HN', 'online', '2023', SECOND)).toBe(false);
    expect(values.at('HN', 'online', '2024', 9)).toBeUndefined();
    expect(values.at('HN', 'online', '2024', 10)).toEqual({ value: 95, position: 10 });
    expect(values.at('HN', 'online', '2024', 29)).toEqual({ value: 60, position: 20 });
    expect(values.at('HN', 'online', '2024', 35)).toBeUndefined();
    expect(values.at('HN', 'online', '2024', Number.POSITIVE_INFINITY)).toEqual({ value: 70, position: 40 });
    expect(values.positions('HN', 'online', '2024')).toEqual([10, 20, 30, 40]);
    expect(values.at('HN', 'online', '2023', 40)).toBeUndefined();
    expect(values.at('HP', 'online', '2024', 40)).toBeUndefined();
    expect(values.positions('HN', 'on-time', '2024')).toEqual([]);
    values.record('HP', 'online', '2023', 50, 80, SECOND);
    expect([...values.periods('online')]).toEqual(['2024', '2023']);
    expect(values.periods('on-time').size).toBe(0);
  });

  it('keeps no submission ids unless asked to, and says so when asked for one', () => {
    const values = createValueVersions();
    values.record('HN', 'online', '2024', 10, 95, 'any id: not kept, not checked');
    expect(values.at('HN', 'online', '2024', 10)).toEqual({ value: 95, position: 10 });
    expect(() => values.isInForce('HN', 'online', '2024', FIRST)).toThrow(/do not keep submission ids/);
  });

  it('refuses a version older than the one it has', () => {
    const values = createValueVersions({ keepSubmissionIds: true });
    values.record('HN', 'online', '2024', 10, 95, FIRST);
    expect(() => values.record('HN', 'online', '2024', 10, 96, FIRST)).toThrow(RangeError);
    expect(() => values.record('HN', 'online', '2024', 11, 96, 'not-a-uuid')).toThrow(/not a UUID/);
    expect(values.at('HN', 'online', '2024', 10)).toEqual({ value: 95, position: 10 });
  });

  it('keeps every version across many storage chunks and indicators defined late', () => {
    const values = createValueVersions({ keepSubmissionIds: true });
    const units = 300;
    const indicators = 250; // more indicators than a unit's first row had room for
    let position = 0;
    for (let i = 0; i < indicators; i++)
      for (let u = 0; u < units; u++)
        values.record(`u${u}`, `i${i}`, '2024-01', ++position, u * 1_000 + i, uuidOf(position));
    for (let u = 0; u < units; u += 7) values.record(`u${u}`, 'i3', '2024-01', ++position, -u, uuidOf(u));
    expect(values.size).toBe(position);
    expect(position).toBeGreaterThan(1 << 16);
    for (let u = 0; u < units; u += 13)
      for (let i = 0; i < indicators; i += 17) {
        const first = i * units + u + 1;
        expect(values.at(`u${u}`, `i${i}`, '2024-01', position)?.position).toBe(first);
        expect(values.at(`u${u}`, `i${i}`, '2024-01', first)).toEqual({
          value: u * 1_000 + i,
          position: first,
        });
      }
    expect(values.at('u7', 'i3', '2024-01', position)?.value).toBe(-7);
    expect(values.isInForce('u7', 'i3', '2024-01', uuidOf(7))).toBe(true);
    expect(values.isInForce('u8', 'i3', '2024-01', uuidOf(3 * units + 9))).toBe(true);
    expect(values.isInForce('u8', 'i3', '2024-01', uuidOf(3 * units + 10))).toBe(false);
    expect(values.positions('u7', 'i3', '2024-01')).toHaveLength(2);
  });
});

describe('a correction folded into the index', () => {
  /** A catalog, a submission and its correction; then a correction whose submission id is not the one in force. */
  function ledger() {
    const l = catalogLedger();
    const id = l.submit({ unitId: 'HN', indicator: IND.online, period: '2024', value: 95 });
    const correction = l.record(
      cmd('correction', { submissionId: id, value: 60, reason: 'Số liệu kiểm tra lại' }),
    );
    const stranger = {
      ...correction,
      position: correction.position + 1,
      data: { ...correction.data, submissionId: '0190f0a0-0000-7000-8000-0000000000ff' },
    } as LedgerRecordedEvent;
    return { l, stranger };
  }

  it.each([
    ['details kept (projection)', inMemoryValueDetails],
    ['details not kept (scoring)', noValueDetails],
  ])(
    'Given %s, Then a correction of the submission in force applies, and one of another submission is refused and changes nothing',
    (_, details) => {
      const { l, stranger } = ledger();
      const index = createLedgerIndex(details());
      for (const e of l.events) evolve(index, e);
      expect(viewAt(index).value('HN', IND.online, '2024')?.value).toBe(60);
      expect(() => evolve(index, stranger)).toThrow(/not in force/);
      expect(index.values.positions('HN', IND.online, '2024')).toHaveLength(2);
      expect(index.positions.length).toBe(l.events.length);
    },
  );
});
