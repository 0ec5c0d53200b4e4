/**
 * Properties of the tree and the RFC 9162 proofs, for random trees of 1..300 leaves:
 * - the incremental tree gives the RFC's definitions (root, PATH, PROOF);
 * - the inclusion proof of every leaf verifies against the root;
 * - the consistency proof between any two sizes m ≤ n verifies;
 * - a proof presented for another size or another leaf fails;
 * - one flipped bit anywhere (proof, leaf hash, roots) makes verification fail.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/rfc9162.ts';
import { createMerkleTree, type MerkleTree } from '../src/tree.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** n distinct leaf hashes, derived from a seed. */
function leavesOf(n: number, seed: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`${seed}/${i}`).digest()));
}

interface Built {
  readonly hashes: Uint8Array[];
  readonly tree: MerkleTree;
  /** root(size) for every size 0..n, from the tree. */
  readonly roots: Uint8Array[];
}

const cache = new Map<string, Built>();
function build(n: number, seed: number): Built {
  const key = `${n}/${seed}`;
  let b = cache.get(key);
  if (b === undefined) {
    const hashes = leavesOf(n, seed);
    const tree = createMerkleTree(hashes);
    b = { hashes, tree, roots: Array.from({ length: n + 1 }, (_, s) => tree.root(s)) };
    cache.set(key, b);
  }
  return b;
}

const flip = (bytes: Uint8Array, bit: number): Uint8Array => {
  const copy = bytes.slice();
  const at = Math.floor(bit / 8) % copy.length;
  copy[at] = (copy[at] as number) ^ (1 << (bit % 8));
  return copy;
};

const size = fc.integer({ min: 1, max: 300 });
// A few leaf sets per size, so the trees built are reused across runs.
const seed = fc.integer({ min: 0, max: 15 });

describe('the incremental tree gives the RFC 9162 definitions', () => {
  it('root of every prefix equals MTH by definition', () => {
    fc.assert(
      fc.property(size, seed, (n, s) => {
        const { hashes, roots } = build(n, s);
        // Definition for a few prefixes (it is O(n) per prefix), always including n.
        for (const m of new Set([0, 1, Math.floor(n / 2), n - 1, n])) {
          expect(hex(roots[m] as Uint8Array)).toBe(hex(rootHash(hashes.slice(0, m))));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('audit paths equal PATH(m, D[n])', () => {
    fc.assert(
      fc.property(
        size.chain((n) =>
          fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n })),
        ),
        seed,
        ([n, i, m], s) => {
          fc.pre(i < m);
          const { hashes, tree } = build(n, s);
          expect(tree.inclusionProof(i, m).map(hex)).toEqual(inclusionProof(hashes, i, m).map(hex));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('consistency proofs equal PROOF(m, D[n])', () => {
    fc.assert(
      fc.property(
        size.chain((n) =>
          fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n })),
        ),
        seed,
        ([n, a, b], s) => {
          const [m, k] = a <= b ? [a, b] : [b, a];
          const { hashes, tree } = build(n, s);
          expect(tree.consistencyProof(m, k).map(hex)).toEqual(consistencyProof(hashes, m, k).map(hex));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('proofs verify', () => {
  it('the inclusion proof of every leaf verifies against the root', () => {
    fc.assert(
      fc.property(size, seed, (n, s) => {
        const { tree, roots } = build(n, s);
        for (let i = 0; i < n; i++) {
          const ok = verifyInclusion(tree.leafHash(i), i, n, tree.inclusionProof(i), roots[n] as Uint8Array);
          if (!ok) expect.unreachable(`leaf ${i} of ${n}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the consistency proof between any two sizes m ≤ n verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), seed, (n, s) => {
        const { tree, roots } = build(n, s);
        for (let m = 0; m <= n; m++) {
          const proof = tree.consistencyProof(m, n);
          if (!verifyConsistency(m, n, roots[m] as Uint8Array, roots[n] as Uint8Array, proof)) {
            expect.unreachable(`${m} → ${n}`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('consistency verifies between random pairs of sizes of a larger tree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), seed, (a, b, s) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const { tree, roots } = build(300, s);
        expect(
          verifyConsistency(
            m,
            n,
            roots[m] as Uint8Array,
            roots[n] as Uint8Array,
            tree.consistencyProof(m, n),
          ),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('proofs for something else fail', () => {
  it('an inclusion proof presented for another size or another leaf fails', () => {
    fc.assert(
      fc.property(
        size.chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 0, max: n - 1 }),
            fc.integer({ min: 1, max: n }),
            fc.integer({ min: 0, max: n - 1 }),
          ),
        ),
        seed,
        ([n, i, otherSize, otherIndex], s) => {
          const { tree, roots } = build(n, s);
          const leaf = tree.leafHash(i);
          const path = tree.inclusionProof(i, n);
          if (otherSize !== n && i < otherSize) {
            expect(verifyInclusion(leaf, i, otherSize, path, roots[otherSize] as Uint8Array)).toBe(false);
          }
          if (otherIndex !== i) {
            expect(verifyInclusion(leaf, otherIndex, n, path, roots[n] as Uint8Array)).toBe(false);
            // The other leaf's hash with this leaf's path fails too.
            expect(verifyInclusion(tree.leafHash(otherIndex), i, n, path, roots[n] as Uint8Array)).toBe(
              false,
            );
          }
          // A path one hash too long or too short fails.
          expect(verifyInclusion(leaf, i, n, [...path, leaf], roots[n] as Uint8Array)).toBe(false);
          if (path.length > 0) {
            expect(verifyInclusion(leaf, i, n, path.slice(0, -1), roots[n] as Uint8Array)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a consistency proof presented for other sizes fails', () => {
    fc.assert(
      fc.property(
        size.chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 1, max: n }),
            fc.integer({ min: 1, max: n }),
            fc.integer({ min: 1, max: n }),
          ),
        ),
        seed,
        ([n, m, otherOld, otherNew], s) => {
          fc.pre(m < n);
          const { tree, roots } = build(n, s);
          const proof = tree.consistencyProof(m, n);
          const r = (k: number) => roots[k] as Uint8Array;
          if (otherOld !== m && otherOld <= n) {
            expect(verifyConsistency(otherOld, n, r(otherOld), r(n), proof)).toBe(false);
          }
          if (otherNew !== n && m <= otherNew) {
            expect(verifyConsistency(m, otherNew, r(m), r(otherNew), proof)).toBe(false);
          }
          // Truncation: the newer tree is smaller.
          expect(verifyConsistency(n, m, r(n), r(m), proof)).toBe(false);
          expect(verifyConsistency(n, m, r(n), r(m), [])).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a flipped bit anywhere fails', () => {
  it('in an inclusion proof, the leaf hash or the root', () => {
    fc.assert(
      fc.property(
        size.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
        seed,
        fc.nat(),
        fc.nat({ max: 255 }),
        ([n, i], s, where, bit) => {
          const { tree, roots } = build(n, s);
          const leaf = tree.leafHash(i);
          const path = tree.inclusionProof(i, n);
          const root = roots[n] as Uint8Array;
          // Positions: 0 = leaf hash, 1 = root, 2.. = the path's hashes.
          const at = where % (path.length + 2);
          if (at === 0) expect(verifyInclusion(flip(leaf, bit), i, n, path, root)).toBe(false);
          else if (at === 1) expect(verifyInclusion(leaf, i, n, path, flip(root, bit))).toBe(false);
          else {
            const bad = path.map((h, j) => (j === at - 2 ? flip(h, bit) : h));
            expect(verifyInclusion(leaf, i, n, bad, root)).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  // From size 0 there is nothing to flip but the old root: every tree extends the empty tree, so
  // the new root is not bound by an empty proof (the new checkpoint's signature binds it).
  it('in a consistency proof or either root (old size ≥ 1)', () => {
    fc.assert(
      fc.property(
        size.chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        seed,
        fc.nat(),
        fc.nat({ max: 255 }),
        ([n, m], s, where, bit) => {
          const { tree, roots } = build(n, s);
          const proof = tree.consistencyProof(m, n);
          const oldRoot = roots[m] as Uint8Array;
          const newRoot = roots[n] as Uint8Array;
          const at = where % (proof.length + 2);
          if (at === 0) expect(verifyConsistency(m, n, flip(oldRoot, bit), newRoot, proof)).toBe(false);
          else if (at === 1) expect(verifyConsistency(m, n, oldRoot, flip(newRoot, bit), proof)).toBe(false);
          else {
            const bad = proof.map((h, j) => (j === at - 2 ? flip(h, bit) : h));
            expect(verifyConsistency(m, n, oldRoot, newRoot, bad)).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('a tree that reads its lower levels from a leaf source', () => {
  it('gives the same roots and proofs as the tree that keeps every level, and keeps ~1 hash per 32 leaves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), seed, (n, s) => {
        const hashes = leavesOf(n, s);
        let reads = 0;
        const lean = createMerkleTree(hashes, {
          leaves: (from, to) => {
            reads++;
            return hashes.slice(from, to);
          },
        });
        const full = createMerkleTree(hashes);
        const sizes = [1, Math.ceil(n / 3), n - 1, n].filter((m) => m >= 1);
        for (const m of sizes) {
          expect(hex(lean.root(m))).toBe(hex(full.root(m)));
          for (const leaf of [0, m - 1, Math.floor(m / 2)])
            expect(lean.inclusionProof(leaf, m).map(hex)).toEqual(full.inclusionProof(leaf, m).map(hex));
          expect(lean.consistencyProof(m, n).map(hex)).toEqual(full.consistencyProof(m, n).map(hex));
        }
        expect(hex(lean.leafHash(n - 1))).toBe(hex(hashes[n - 1] as Uint8Array));
        expect(lean.storedHashes).toBeLessThanOrEqual(n / 32 + 2 * 64);
        if (n >= 128) expect(reads).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
  });
});
