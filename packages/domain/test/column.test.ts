import { describe, expect, it } from 'vitest';
import { createColumn } from '../src/column.ts';

describe('column', () => {
  it('keeps every entry pushed, in order, across chunks, and answers at() like an array', () => {
    const column = createColumn();
    const n = (1 << 16) * 2 + 123;
    const expected = Array.from({ length: n }, (_, i) => 1.7e12 + i * 0.5);
    for (const v of expected) column.push(v);
    expect(column.length).toBe(n);
    for (const i of [0, 1, 255, 256, 65_535, 65_536, 65_537, 131_072, n - 1, -1, -n])
      expect(column.at(i)).toBe(expected.at(i));
    expect(column.at(n)).toBeUndefined();
    expect(column.at(-n - 1)).toBeUndefined();
  });

  it('stores 32-bit integers in an Int32Array column', () => {
    const column = createColumn(Int32Array);
    column.push(-1);
    column.push(2 ** 31 - 1);
    column.push(2 ** 31); // wraps, as an Int32Array does
    expect([column.at(0), column.at(1), column.at(2)]).toEqual([-1, 2 ** 31 - 1, -(2 ** 31)]);
  });

  it('replaces an entry in place, in any chunk, and refuses one past the end', () => {
    const column = createColumn(Int32Array);
    for (let i = 0; i < 70_000; i++) column.push(i);
    column.set(3, -3);
    column.set(66_000, -66_000);
    expect([column.at(2), column.at(3), column.at(66_000), column.at(66_001)]).toEqual([
      2, -3, -66_000, 66_001,
    ]);
    expect(column.length).toBe(70_000);
    expect(() => column.set(70_000, 1)).toThrow(RangeError);
  });
});
