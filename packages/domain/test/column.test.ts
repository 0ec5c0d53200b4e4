import { describe, expect, it } from 'vitest';
import { createColumn, createRunColumn } from '../src/column.ts';

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

describe('run column', () => {
  it('answers at() like an array for positions: consecutive runs, gaps, across chunks', () => {
    const column = createRunColumn(1);
    const expected: number[] = [];
    let next = 1;
    // 70,000 runs (more than a chunk of them), of 1 to 3 entries, with gaps between.
    for (let run = 0; run < 70_000; run++) {
      for (let k = 0; k < 1 + (run % 3); k++) expected.push(next++);
      next += run % 5 === 0 ? 7 : 0;
    }
    for (const v of expected) column.push(v);
    expect(column.length).toBe(expected.length);
    for (let i = -expected.length - 1; i <= expected.length; i += 97)
      expect(column.at(i)).toBe(expected.at(i));
    for (const i of [0, 1, 2, 3, expected.length - 2, expected.length - 1, -1, expected.length])
      expect(column.at(i)).toBe(expected.at(i));
  });

  it('answers at() like an array for instants: equal runs, then increases', () => {
    const column = createRunColumn(0);
    const expected = [5, 5, 5, 6, 8, 8, 9, 10, 11, 11, 11, 1.7e12, 1.7e12, 1.7e12 + 1];
    for (const v of expected) column.push(v);
    expect(expected.map((_, i) => column.at(i))).toEqual(expected);
    expect(column.at(-1)).toBe(1.7e12 + 1);
    expect(createRunColumn(0).at(0)).toBeUndefined();
  });
});
