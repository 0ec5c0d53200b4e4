/** mulberry32: a small, fast, seeded PRNG. Same seed, same data set, on any machine. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A UUIDv7 whose time is `ms` and whose random bits come from the seeded PRNG. */
export function uuidV7(random: () => number, ms: number): string {
  const r = () => Math.floor(random() * 0x10000);
  const time = hex(ms, 12);
  return (
    `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(r() & 0xfff, 3)}-` +
    `${hex(0x8000 | (r() & 0x3fff), 4)}-${hex(r(), 4)}${hex(r(), 4)}${hex(r(), 4)}`
  );
}
