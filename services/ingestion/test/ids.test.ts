import { describe, expect, it } from 'vitest';
import { newUuidV7 } from '../src/ids.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecondsOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('new ids', () => {
  it('are distinct UUIDv7s carrying the time they were made, across many refills of the random pool', () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newUuidV7());
    const after = Date.now();
    expect(ids.every((id) => V7.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map(millisecondsOf);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(before);
    expect(Math.max(...times)).toBeLessThanOrEqual(after);
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
    // Each id draws fresh random bits from the pool.
    expect(new Set(ids.map((id) => id.slice(24))).size).toBe(ids.length);
  });
});
