import { createHash } from 'node:crypto';

/**
 * A UUIDv7 that is the same every time it is derived from the same input: its time is the input
 * event's recordedAt and its "random" bits are a hash of the seed. Redoing the same work after a
 * crash therefore appends events the store already has, and its idempotent append records them once.
 */
export function deterministicUuidV7(ms: number, seed: string): string {
  const hash = createHash('sha256').update(seed).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.floor(ms)), 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
