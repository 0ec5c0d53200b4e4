import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

const IDS_PER_FILL = 256;
const pool = new Uint8Array(16 * IDS_PER_FILL);
let next = pool.length;

/**
 * A UUIDv7 for a new event or submission. The random bits come from a pool filled 256 ids at a
 * time: drawing 16 bytes from the system per id (uuid's default) costs 5–7 % of the request thread
 * under load (docs/benchmarks.md). Ids stay time-ordered to the millisecond; within one they are random.
 */
export function newUuidV7(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.subarray(next, next + 16);
  next += 16;
  return uuidv7({ random });
}
