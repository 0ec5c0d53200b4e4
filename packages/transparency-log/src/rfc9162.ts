/**
 * RFC 9162 (Certificate Transparency 2.0) §2.1 Merkle hash trees, with SHA-256: the hashing, the
 * Merkle tree hash MTH, inclusion and consistency proofs as the RFC defines them, and the two
 * verification algorithms of §2.1.3.2 and §2.1.4.2 step by step.
 *
 * The proof *generators* here work from a plain list of leaf hashes: they are the RFC's recursive
 * definitions, written to be read next to it, and they cost O(n) per call. The ledger uses the
 * incremental tree of `tree.ts`, which gives the same answers in O(log n) and is tested against
 * these.
 *
 * Tree sizes and indexes are JavaScript numbers, so every size up to 2^53 - 1 works: bit
 * operations are done with arithmetic, never with the 32-bit `>>` and `&` operators.
 */
import { hash as sha256Once } from 'node:crypto';
import { bytesEqual } from './bytes.ts';

/** SHA-256 output length: every leaf hash, node hash and root is this long. */
export const HASH_SIZE = 32;

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(sha256Once('sha256', data, 'buffer'));

/** MTH({}) = SHA-256(""): the root of the empty tree. */
export const emptyRoot = (): Uint8Array => sha256(new Uint8Array(0));

/** MTH({d}) = SHA-256(0x00 || d): the hash of one leaf's data (RFC 9162 §2.1.1). */
export function leafHash(leafData: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + leafData.length);
  buf[0] = 0x00;
  buf.set(leafData, 1);
  return sha256(buf);
}

/** leafHash of a text's UTF-8 bytes, encoded once with the 0x00 in front (a leaf hash per event). */
export const textLeafHash = (text: string): Uint8Array => sha256(Buffer.from(`\u0000${text}`, 'utf8'));

/** SHA-256(0x01 || left || right): an interior node (RFC 9162 §2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_SIZE);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + HASH_SIZE);
  return sha256(buf);
}

export const isTreeSize = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_SIZE;

/** The largest power of two strictly smaller than n (n ≥ 2): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

function checkLeafHashes(leafHashes: readonly Uint8Array[]): void {
  for (const h of leafHashes) if (!isHash(h)) throw new TypeError('every leaf hash must be 32 bytes');
}

function checkSizes(what: string, ...sizes: number[]): void {
  for (const s of sizes) if (!isTreeSize(s)) throw new RangeError(`${what}: ${s} is not a tree size`);
}

/** MTH(D[lo:hi]), straight from the definition. */
function mth(d: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (n === 0) return emptyRoot();
  if (n === 1) return (d[lo] as Uint8Array).slice();
  const k = splitPoint(n);
  return nodeHash(mth(d, lo, lo + k), mth(d, lo + k, hi));
}

/** The Merkle tree hash of all the given leaf hashes (RFC 9162 §2.1.1). */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  checkLeafHashes(leafHashes);
  return mth(leafHashes, 0, leafHashes.length);
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree made of the first
 * `size` leaves, ordered from the leaf upwards.
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size: number): Uint8Array[] {
  checkSizes('inclusionProof', index, size);
  if (size > leafHashes.length) {
    throw new RangeError(`inclusionProof: size ${size} > ${leafHashes.length} leaves`);
  }
  if (index >= size) throw new RangeError(`inclusionProof: leaf ${index} is not in a tree of size ${size}`);
  checkLeafHashes(leafHashes);
  const path = (m: number, lo: number, hi: number): Uint8Array[] => {
    if (hi - lo === 1) return [];
    const k = splitPoint(hi - lo);
    return m < k
      ? [...path(m, lo, lo + k), mth(leafHashes, lo + k, hi)]
      : [...path(m - k, lo + k, hi), mth(leafHashes, lo, lo + k)];
  };
  return path(index, 0, size);
}

/**
 * PROOF(m, D[n]) of RFC 9162 §2.1.4.1: the consistency proof from the tree of the first `oldSize`
 * leaves to the tree of the first `newSize`. Empty when the sizes are equal or `oldSize` is 0,
 * cases the RFC leaves undefined (every tree extends the empty tree and itself).
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  oldSize: number,
  newSize: number,
): Uint8Array[] {
  checkSizes('consistencyProof', oldSize, newSize);
  if (newSize > leafHashes.length) {
    throw new RangeError(`consistencyProof: size ${newSize} > ${leafHashes.length} leaves`);
  }
  if (oldSize > newSize) throw new RangeError(`consistencyProof: ${oldSize} > ${newSize}`);
  checkLeafHashes(leafHashes);
  if (oldSize === 0 || oldSize === newSize) return [];
  const subproof = (m: number, lo: number, hi: number, b: boolean): Uint8Array[] => {
    const n = hi - lo;
    if (m === n) return b ? [] : [mth(leafHashes, lo, hi)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, lo, lo + k, b), mth(leafHashes, lo + k, hi)]
      : [...subproof(m - k, lo + k, hi, false), mth(leafHashes, lo, lo + k)];
  };
  return subproof(oldSize, 0, newSize, true);
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of `size`
 * leaves whose root is `root`? False for any malformed input; never throws.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeSize(index) || !isTreeSize(size) || !isHash(leafHash) || !isHash(root)) return false;
  if (!Array.isArray(proof) || !proof.every(isHash)) return false;
  // 1. leaf_index must be smaller than tree_size.
  if (index >= size) return false;
  // 2. fn = leaf_index, sn = tree_size - 1.
  let fn = index;
  let sn = size - 1;
  // 3. r = hash.
  let r = leafHash;
  // 4. For each p in the inclusion path:
  for (const p of proof) {
    // a. sn = 0: the path is too long.
    if (sn === 0) return false;
    // b. p is a left sibling if fn is a right child, or if fn is the last node of its level.
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        // Climb past the levels where the node has no right sibling.
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    // c. Up one level.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. The path must reach the root exactly, and give the root hash.
  return sn === 0 && bytesEqual(r, root);
}

const isPowerOfTwo = (n: number): boolean => {
  if (n < 1) return false;
  let x = n;
  while (x % 2 === 0) x /= 2;
  return x === 1;
};

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `oldSize` leaves with root `oldRoot` is a
 * prefix of the tree of `newSize` leaves with root `newRoot`? False for any malformed input; never
 * throws.
 *
 * The RFC's algorithm covers 0 < oldSize < newSize. For the two edge cases it leaves open, this
 * accepts only an empty proof, and then requires equal roots when the sizes are equal, and the
 * empty-tree root (SHA-256 of nothing) as `oldRoot` when `oldSize` is 0. A smaller `newSize` than
 * `oldSize` (a truncated log) never verifies.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || !isHash(oldRoot) || !isHash(newRoot)) return false;
  if (!Array.isArray(proof) || !proof.every(isHash)) return false;
  if (oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, emptyRoot());
  // 1. An empty proof fails.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  // 3. fn = first - 1, sn = second - 1.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // 4. While LSB(fn) is set, shift both right.
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = the first value of the path.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6. For each subsequent value c:
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    // a. sn = 0: the proof is too long.
    if (sn === 0) return false;
    // b.
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Both roots must come out, and the path must reach the new root exactly.
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}
