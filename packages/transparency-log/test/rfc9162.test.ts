/**
 * Known answers, none computed by this library:
 * - the RFC 6962 test vectors (leaf inputs, roots for sizes 0..8, audit and consistency paths) as
 *   published in github.com/transparency-dev/merkle (testonly/constants.go, proof/verify_test.go),
 *   which carries them over from Certificate Transparency's C++ test suite;
 * - golang.org/x/mod/sumdb/tlog's golden RecordHash("hello world");
 * - real proofs served by Google's Argon 2020 CT log (a tree of 961,984,013 leaves), from
 *   golang.org/x/mod/sumdb/tlog's testdata.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/bytes.ts';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/rfc9162.ts';
import { createMerkleTree } from '../src/tree.ts';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);

/** Leaf hashes (level 0 of testonly.NodeHashes()). */
const LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];

/** Roots by tree size, 0..8 (testonly.RootHashes()). */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** proof/verify_test.go inclusionProofs: leaf is 1-based there. */
const INCLUSION: { leaf: number; size: number; path: string[] }[] = [
  { leaf: 1, size: 1, path: [] },
  {
    leaf: 1,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

/** proof/verify_test.go consistencyProofs. */
const CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const leaves = LEAF_INPUTS.map(leafHash);

describe('RFC 9162 hashing: known answers', () => {
  it('the empty tree root is SHA-256 of nothing', () => {
    expect(toHex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(rootHash([]))).toBe(ROOTS[0]);
    expect(toHex(createMerkleTree().root())).toBe(ROOTS[0]);
  });

  it('hashes leaves as SHA-256(0x00 || data)', () => {
    expect(leaves.map(toHex)).toEqual(LEAF_HASHES);
    // golang.org/x/mod/sumdb/tlog note_test.go golden value.
    expect(toBase64(leafHash(Buffer.from('hello world')))).toBe(
      'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=',
    );
  });

  it('hashes nodes as SHA-256(0x01 || left || right)', () => {
    // Level 1, index 0 of testonly.NodeHashes().
    expect(toHex(nodeHash(leaves[0] as Uint8Array, leaves[1] as Uint8Array))).toBe(
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    );
  });

  it('gives the published root for every size 0..8, by definition and incrementally', () => {
    const tree = createMerkleTree();
    expect(toHex(tree.root())).toBe(ROOTS[0]);
    for (let n = 1; n <= 8; n++) {
      tree.append(leaves[n - 1] as Uint8Array);
      expect(toHex(rootHash(leaves.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
      expect(toHex(tree.root()), `size ${n}`).toBe(ROOTS[n]);
    }
    for (let n = 0; n <= 8; n++) expect(toHex(tree.root(n))).toBe(ROOTS[n]);
  });

  it.each(INCLUSION)(
    'inclusion of leaf $leaf (1-based) in size $size: generated and verified',
    ({ leaf, size, path }) => {
      const index = leaf - 1;
      const tree = createMerkleTree(leaves);
      expect(inclusionProof(leaves, index, size).map(toHex)).toEqual(path);
      expect(tree.inclusionProof(index, size).map(toHex)).toEqual(path);
      expect(
        verifyInclusion(leaves[index] as Uint8Array, index, size, path.map(hex), hex(ROOTS[size] as string)),
      ).toBe(true);
    },
  );

  it.each(CONSISTENCY)('consistency $size1 → $size2: generated and verified', ({ size1, size2, proof }) => {
    const tree = createMerkleTree(leaves);
    expect(consistencyProof(leaves, size1, size2).map(toHex)).toEqual(proof);
    expect(tree.consistencyProof(size1, size2).map(toHex)).toEqual(proof);
    expect(
      verifyConsistency(
        size1,
        size2,
        hex(ROOTS[size1] as string),
        hex(ROOTS[size2] as string),
        proof.map(hex),
      ),
    ).toBe(true);
  });

  it('treats the RFC’s undefined consistency cases strictly', () => {
    const r = (n: number) => hex(ROOTS[n] as string);
    // Every tree extends the empty tree, with an empty proof, from the empty root only.
    expect(verifyConsistency(0, 5, r(0), r(5), [])).toBe(true);
    expect(verifyConsistency(0, 5, r(3), r(5), [])).toBe(false);
    expect(verifyConsistency(0, 5, r(0), r(5), [r(1)])).toBe(false);
    // A tree extends itself with an empty proof, when the roots are equal.
    expect(verifyConsistency(5, 5, r(5), r(5), [])).toBe(true);
    expect(verifyConsistency(5, 5, r(5), r(6), [])).toBe(false);
    // A smaller tree never extends a larger one.
    expect(verifyConsistency(6, 5, r(6), r(5), [])).toBe(false);
    // An empty proof between different non-zero sizes fails (RFC 9162 §2.1.4.2 step 1).
    expect(verifyConsistency(4, 8, r(4), r(8), [])).toBe(false);
  });
});

describe('real Certificate Transparency proofs (Google Argon 2020)', () => {
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/argon2020/${name}`, import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
  const sth = fixture('sth.json') as { tree_size: number; sha256_root_hash: string };
  const entry = (fixture('entries.json') as { entries: { leaf_input: string }[] }).entries[0] as {
    leaf_input: string;
  };
  const proof = fixture('proof.json') as { leaf_index: number; audit_path: string[] };
  const consistency = fixture('consistency.json') as { consistency: string[] };
  const root = fromBase64(sth.sha256_root_hash) as Uint8Array;
  const b64 = (s: string) => fromBase64(s) as Uint8Array;

  it('verifies the inclusion of entry 10000 in the tree of 961,984,013 leaves', () => {
    const leaf = leafHash(b64(entry.leaf_input));
    const path = proof.audit_path.map(b64);
    expect(proof.leaf_index).toBe(10000);
    expect(verifyInclusion(leaf, 10000, sth.tree_size, path, root)).toBe(true);
    expect(verifyInclusion(leaf, 10001, sth.tree_size, path, root)).toBe(false);
    // (A tree size only shapes the path: sizes with the same right border near this leaf accept
    // it too, against this root. The signed checkpoint is what binds a size to its root.)
    expect(verifyInclusion(leaf, 10000, sth.tree_size, path.slice(1), root)).toBe(false);
  });

  it('verifies the consistency of 3,654,490 leaves with 961,984,013', () => {
    const oldRoot = b64('AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=');
    const path = consistency.consistency.map(b64);
    expect(verifyConsistency(3654490, sth.tree_size, oldRoot, root, path)).toBe(true);
    expect(verifyConsistency(3654491, sth.tree_size, oldRoot, root, path)).toBe(false);
    expect(verifyConsistency(3654490, sth.tree_size, oldRoot, oldRoot, path)).toBe(false);
    expect(verifyConsistency(3654490, sth.tree_size, root, oldRoot, path)).toBe(false);
  });
});

describe('the incremental tree beyond a few leaves', () => {
  it('agrees with the definition across chunk boundaries (10,000 leaves)', () => {
    const n = 10_000;
    const hashes = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const tree = createMerkleTree(hashes);
    expect(tree.size).toBe(n);
    // 2n − popcount(n) stored hashes.
    const popcount = n.toString(2).replaceAll('0', '').length;
    expect(tree.storedHashes).toBe(2 * n - popcount);
    for (const size of [1, 15, 16, 17, 4095, 4096, 4097, 8191, 8192, 8193, 9999, 10_000]) {
      expect(toHex(tree.root(size)), `size ${size}`).toBe(toHex(rootHash(hashes.slice(0, size))));
    }
    for (const [index, size] of [
      [0, 10_000],
      [4095, 4097],
      [8192, 9999],
      [9999, 10_000],
    ] as const) {
      const path = tree.inclusionProof(index, size);
      expect(path.map(toHex)).toEqual(inclusionProof(hashes, index, size).map(toHex));
    }
    for (const [m, size] of [
      [1, 10_000],
      [4096, 10_000],
      [4097, 8193],
      [9999, 10_000],
    ] as const) {
      expect(tree.consistencyProof(m, size).map(toHex)).toEqual(consistencyProof(hashes, m, size).map(toHex));
    }
  });

  it('returns copies: changing a returned hash changes nothing stored', () => {
    const tree = createMerkleTree(leaves);
    const root = tree.root();
    tree.root().fill(0);
    tree.leafHash(3).fill(0);
    for (const h of tree.inclusionProof(2)) h.fill(0);
    expect(toHex(tree.root())).toBe(toHex(root));
    expect(toHex(tree.leafHash(3))).toBe(LEAF_HASHES[3]);
  });

  it('refuses what is not a leaf hash or not in the tree', () => {
    const tree = createMerkleTree(leaves);
    expect(() => tree.append(new Uint8Array(31))).toThrow(TypeError);
    expect(() => tree.root(9)).toThrow(RangeError);
    expect(() => tree.inclusionProof(8, 8)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 9)).toThrow(RangeError);
    expect(() => tree.consistencyProof(5, 4)).toThrow(RangeError);
    expect(() => tree.leafHash(-1)).toThrow(RangeError);
    expect(() => tree.root(1.5)).toThrow(RangeError);
  });
});
