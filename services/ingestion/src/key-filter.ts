/**
 * Which idempotency streams the log may hold, so that a write under a key never seen does not look
 * the key up in the store (a read per Kafka record, whose key is its offset unless it carries its
 * own): a scalable Bloom filter over the streams' SHA-256 names. It never answers "no" for a stream
 * it was given; it answers "maybe" for under 2 % of the others, which then cost the store lookup.
 * Each generation holds twice the keys of the one before, with 2 bits more per key so that
 * their false positives add up to a bounded sum: ~4 bytes per key at 10 M keys.
 */
export interface KeyFilter {
  add(streamId: string): void;
  mayHold(streamId: string): boolean;
}

/** Bits set per key: with 10 bits per key, 7 gives ~0.8 % false positives, with 12 ~0.3 %, … */
const PROBES = 7;
const FIRST_BITS_PER_KEY = 10;
const HEX32 = /^[0-9a-f]{8}$/;

interface Generation {
  readonly bits: Uint32Array;
  readonly capacity: number;
  count: number;
}

export function createKeyFilter(firstCapacity = 1 << 16): KeyFilter {
  const generations: Generation[] = [];
  const generation = (capacity: number): Generation => {
    const words = Math.ceil((capacity * (FIRST_BITS_PER_KEY + 2 * generations.length)) / 32);
    return { bits: new Uint32Array(words), capacity, count: 0 };
  };

  /**
   * The probes of a stream: 32-bit slices of the SHA-256 (already uniform) its name ends with; none
   * for a name that does not, which the filter then never rules out.
   */
  const probes = (streamId: string): number[] | undefined => {
    const out: number[] = new Array(PROBES);
    for (let i = 0; i < PROBES; i++) {
      const at = streamId.length - 64 + 8 * i;
      const slice = streamId.slice(at, at + 8);
      if (!HEX32.test(slice)) return undefined;
      out[i] = Number.parseInt(slice, 16);
    }
    return out;
  };
  /** The word of a generation's bits that a probe falls in, and the probe's bit in it. */
  const bitOf = (g: Generation, probe: number): [word: number, mask: number] => {
    const bit = probe % (g.bits.length * 32);
    return [bit >>> 5, 1 << (bit & 31)];
  };
  const holds = (g: Generation, of: readonly number[]): boolean =>
    of.every((p) => {
      const [word, mask] = bitOf(g, p);
      return ((g.bits[word] as number) & mask) !== 0;
    });

  return {
    add: (streamId) => {
      const of = probes(streamId);
      if (!of) return;
      let g = generations.at(-1);
      if (!g || g.count >= g.capacity) {
        g = generation(g ? 2 * g.capacity : firstCapacity);
        generations.push(g);
      }
      for (const p of of) {
        const [word, mask] = bitOf(g, p);
        g.bits[word] = (g.bits[word] as number) | mask;
      }
      g.count++;
    },
    mayHold: (streamId) => {
      const of = probes(streamId);
      return !of || generations.some((g) => holds(g, of));
    },
  };
}
