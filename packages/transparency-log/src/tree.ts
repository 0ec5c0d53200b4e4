/**
 * The incremental Merkle tree: append leaf hashes one at a time, and get the RFC 9162 root of any
 * prefix, the audit path of any leaf in any prefix, and the consistency proof between any two
 * prefix sizes, without rehashing the log.
 *
 * Storage: every *complete* subtree hash, by level. Level 0 holds the leaf hashes; level l holds,
 * at index i, MTH of leaves [i·2^l, (i+1)·2^l), written as soon as its last leaf is appended. A
 * tree of n leaves stores Σ floor(n / 2^l) = 2n − popcount(n) hashes of 32 bytes: about 64 bytes
 * per leaf (61 MiB per million leaves), in fixed-size typed-array chunks.
 *
 * - append: writes the leaf, then one node per level while the new node is a right child:
 *   one hash per append on average, at most log2(n).
 * - root(size): the size splits into its binary digits; each digit is one stored complete
 *   subtree, and MTH is their right fold (RFC 9162's k is always the highest remaining digit).
 *   O(log n) hashes.
 * - proofs: each proof hash is MTH of a range [lo, hi) whose start lo is a multiple of a power of
 *   two at least hi − lo, so it is the right fold of stored subtrees too. O(log² n) hashes.
 *
 * With a leaf source (`options.leaves`, the leaf hashes as their owner stores them), the tree keeps
 * in memory only the levels from LOW_LEVELS up, plus the lower levels of the block of leaves still
 * being filled: 1 byte per leaf instead of 64 (10 MiB instead of 610 MiB for 10 M events). A lower
 * node is recomputed from its block's leaves (at most 2^LOW_LEVELS, one read) when a root or proof
 * needs it; the last block read is kept, as the lower nodes of one audit path share a block.
 *
 * Everything returned is a copy: callers cannot change the stored hashes.
 */
import { emptyRoot, HASH_SIZE, isTreeSize, nodeHash, splitPoint } from './rfc9162.ts';

/** Hashes per full chunk: 4096 × 32 bytes = 128 KiB. */
const CHUNK = 4096;
/** The first chunk of a level starts this small and doubles up to CHUNK, so small trees stay small. */
const FIRST_CHUNK = 16;
/** With a leaf source, levels below this one are not kept once their block of 2^LOW_LEVELS leaves is full. */
const LOW_LEVELS = 6;
const BLOCK = 2 ** LOW_LEVELS;

/** Leaf hashes [from, to) by leaf index, all of them, in order. */
export type LeafSource = (from: number, to: number) => readonly Uint8Array[];

export interface MerkleTree {
  /** The number of leaves appended so far. */
  readonly size: number;
  /** Appends one leaf hash (32 bytes, see `leafHash`); returns its leaf index. */
  append(leafHash: Uint8Array): number;
  /** The hash of leaf `index`, as appended. */
  leafHash(index: number): Uint8Array;
  /** The RFC 9162 root of the first `size` leaves (default: all). */
  root(size?: number): Uint8Array;
  /** The audit path of leaf `index` in the tree of the first `size` leaves (default: all). */
  inclusionProof(index: number, size?: number): Uint8Array[];
  /** The consistency proof from the first `oldSize` leaves to the first `newSize` (default: all). */
  consistencyProof(oldSize: number, newSize?: number): Uint8Array[];
  /** How many hashes the tree holds in memory (2n − popcount(n) without a leaf source); for sizing. */
  readonly storedHashes: number;
}

/** One level of the tree: its hashes back to back, in chunks. */
interface Level {
  chunks: Uint8Array[];
  count: number;
}

/**
 * A new tree, optionally filled with `leafHashes` (appended in order).
 *
 * Leaf i must be the hash of the i-th event in global log order (see `eventLeafHash`).
 */
export function createMerkleTree(
  leafHashes: Iterable<Uint8Array> = [],
  options: { leaves?: LeafSource } = {},
): MerkleTree {
  const levels: Level[] = [];
  let size = 0;
  let stored = 0;
  const source = options.leaves;
  /** Levels below this one keep only the block being filled, which starts at leaf `blockStart`. */
  const lowLevels = source ? LOW_LEVELS : 0;
  const low: Uint8Array[][] = Array.from({ length: lowLevels }, () => []);
  let blockStart = 0;
  let lastRead: { from: number; leaves: readonly Uint8Array[] } | undefined;

  /** MTH of 2^l leaves of a full block, from the source. */
  const fromSource = (l: number, i: number): Uint8Array => {
    const from = i * 2 ** l;
    const blockFrom = from - (from % BLOCK);
    if (lastRead?.from !== blockFrom) {
      const leaves = (source as LeafSource)(blockFrom, blockFrom + BLOCK);
      if (leaves.length !== BLOCK)
        throw new Error(`leaf source gave ${leaves.length} leaves for [${blockFrom}, ${blockFrom + BLOCK})`);
      lastRead = { from: blockFrom, leaves };
    }
    let nodes = lastRead.leaves.slice(from - blockFrom, from - blockFrom + 2 ** l);
    while (nodes.length > 1)
      nodes = Array.from({ length: nodes.length / 2 }, (_, k) =>
        nodeHash(nodes[2 * k] as Uint8Array, nodes[2 * k + 1] as Uint8Array),
      );
    return nodes[0] as Uint8Array;
  };

  const level = (l: number): Level => {
    let lv = levels[l];
    if (lv === undefined) {
      lv = { chunks: [], count: 0 };
      levels[l] = lv;
    }
    return lv;
  };

  /** A view (not a copy) of stored hash (l, i). */
  const get = (l: number, i: number): Uint8Array => {
    if (l < lowLevels) {
      const first = blockStart / 2 ** l;
      if (i < first) return fromSource(l, i);
      const h = low[l]?.[i - first];
      if (h === undefined) throw new Error(`internal: no stored hash (${l}, ${i})`);
      return h;
    }
    const lv = levels[l];
    if (lv === undefined || i >= lv.count) throw new Error(`internal: no stored hash (${l}, ${i})`);
    const chunk = lv.chunks[Math.floor(i / CHUNK)] as Uint8Array;
    const at = (i % CHUNK) * HASH_SIZE;
    return chunk.subarray(at, at + HASH_SIZE);
  };

  /** Appends hash h as the next hash of level l. */
  const push = (l: number, h: Uint8Array): void => {
    if (l < lowLevels) {
      (low[l] as Uint8Array[]).push(h.slice());
      stored++;
      return;
    }
    const lv = level(l);
    const c = Math.floor(lv.count / CHUNK);
    const at = (lv.count % CHUNK) * HASH_SIZE;
    let chunk = lv.chunks[c];
    if (chunk === undefined) {
      chunk = new Uint8Array((c === 0 ? FIRST_CHUNK : CHUNK) * HASH_SIZE);
      lv.chunks[c] = chunk;
    } else if (at + HASH_SIZE > chunk.length) {
      const grown = new Uint8Array(Math.min(chunk.length * 2, CHUNK * HASH_SIZE));
      grown.set(chunk);
      chunk = grown;
      lv.chunks[c] = chunk;
    }
    chunk.set(h, at);
    lv.count++;
    stored++;
  };

  /**
   * MTH of leaves [lo, hi), 0 < hi − lo, where lo is a multiple of a power of two ≥ hi − lo (or 0):
   * the right fold of the stored complete subtrees covering the range, largest first.
   */
  const rangeHash = (lo: number, hi: number): Uint8Array => {
    let width = 1;
    let l = 0;
    while (width * 2 <= hi - lo) {
      width *= 2;
      l++;
    }
    const parts: Uint8Array[] = [];
    let at = lo;
    for (; at < hi; width /= 2, l--) {
      if (hi - at < width) continue;
      if (at % width !== 0) throw new Error(`internal: range [${lo}, ${hi}) is not aligned`);
      parts.push(get(l, at / width));
      at += width;
    }
    let h = parts[parts.length - 1] as Uint8Array;
    for (let j = parts.length - 2; j >= 0; j--) h = nodeHash(parts[j] as Uint8Array, h);
    return h.slice();
  };

  const checkSize = (what: string, n: number): void => {
    if (!isTreeSize(n)) throw new RangeError(`${what}: ${n} is not a tree size`);
    if (n > size) throw new RangeError(`${what}: size ${n} is beyond the tree's ${size} leaves`);
  };

  const tree: MerkleTree = {
    get size() {
      return size;
    },
    get storedHashes() {
      return stored;
    },

    append(leafHash) {
      if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
        throw new TypeError('append: a leaf hash is 32 bytes');
      }
      if (size >= Number.MAX_SAFE_INTEGER) throw new RangeError('append: the tree is full');
      const index = size;
      push(0, leafHash);
      // Each time the new node is a right child, its parent subtree is complete.
      let i = index;
      let l = 0;
      while (i % 2 === 1) {
        const parent = nodeHash(get(l, i - 1), get(l, i));
        i = (i - 1) / 2;
        l++;
        push(l, parent);
      }
      size++;
      if (lowLevels > 0 && size - blockStart === BLOCK) {
        for (const nodes of low) stored -= nodes.splice(0).length;
        blockStart = size;
      }
      return index;
    },

    leafHash(index) {
      if (!isTreeSize(index) || index >= size) throw new RangeError(`leafHash: no leaf ${index}`);
      return get(0, index).slice();
    },

    root(n = size) {
      checkSize('root', n);
      return n === 0 ? emptyRoot() : rangeHash(0, n);
    },

    inclusionProof(index, n = size) {
      checkSize('inclusionProof', n);
      if (!isTreeSize(index) || index >= n) {
        throw new RangeError(`inclusionProof: leaf ${index} is not in a tree of size ${n}`);
      }
      // PATH(m, D[n]), unrolled from the top: collect root-side first, then reverse.
      const topDown: Uint8Array[] = [];
      let lo = 0;
      let hi = n;
      while (hi - lo > 1) {
        const k = splitPoint(hi - lo);
        if (index < lo + k) {
          topDown.push(rangeHash(lo + k, hi));
          hi = lo + k;
        } else {
          topDown.push(rangeHash(lo, lo + k));
          lo += k;
        }
      }
      return topDown.reverse();
    },

    consistencyProof(oldSize, newSize = size) {
      checkSize('consistencyProof', newSize);
      if (!isTreeSize(oldSize) || oldSize > newSize) {
        throw new RangeError(`consistencyProof: ${oldSize} is not a size between 0 and ${newSize}`);
      }
      if (oldSize === 0 || oldSize === newSize) return [];
      // SUBPROOF(m, D[n], true), unrolled from the top.
      const topDown: Uint8Array[] = [];
      let lo = 0;
      let hi = newSize;
      let whole = true;
      for (;;) {
        if (oldSize === hi) {
          if (!whole) topDown.push(rangeHash(lo, hi));
          break;
        }
        const k = splitPoint(hi - lo);
        if (oldSize - lo <= k) {
          topDown.push(rangeHash(lo + k, hi));
          hi = lo + k;
        } else {
          topDown.push(rangeHash(lo, lo + k));
          lo += k;
          whole = false;
        }
      }
      return topDown.reverse();
    },
  };

  for (const h of leafHashes) tree.append(h);
  return tree;
}
