/**
 * Interoperability: our signed checkpoints and proofs, checked by verifiers this team did not
 * write — golang.org/x/mod/sumdb/note and sumdb/tlog (Go's checksum database), and
 * github.com/transparency-dev/formats/log and merkle/proof (Trillian's lineage) — through the
 * small Go program in interop/verify-go. It must accept what the ledger produces and refuse what
 * was tampered with.
 *
 * Needs Go (≥ 1.24, or a Go that can fetch that toolchain). Without it this test FAILS, on
 * purpose: it never skips. The first build downloads three small modules through the Go module
 * proxy (they stay in the module cache) and compiles; later runs reuse Go's build cache.
 */
import type { RecordedEvent } from '@ledger/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../src/bytes.ts';
import { canonicalEventBytes, eventLeafHash } from '../src/canonical.ts';
import { signCheckpoint } from '../src/checkpoint.ts';
import { generateKey } from '../src/note.ts';
import {
  type ConsistencyProofJson,
  consistencyProofJson,
  type InclusionProofJson,
  inclusionProofJson,
} from '../src/proofs.ts';
import { createMerkleTree, type MerkleTree } from '../src/tree.ts';
import { ledgerEvents } from './fixtures/events.ts';
import { buildMs, buildVerifier, runVerifier, type VerifierInput } from './go-verifier.ts';

const ORIGIN = 'ledger.example.gov.vn/indicators';
const SIZES = [0, 1, 7, 16, 33, 50];
const key = generateKey(ORIGIN);
const events = ledgerEvents(50);
let tree: MerkleTree;
const notes = new Map<number, string>();
let valid: VerifierInput;

const b64 = (bytes: Uint8Array): string => toBase64(bytes);
const sign = (t: MerkleTree, size: number, signerKey = key.signerKey): string =>
  signCheckpoint({ origin: ORIGIN, size, root: t.root(size) }, signerKey);

beforeAll(() => {
  buildVerifier();
  tree = createMerkleTree(events.map(eventLeafHash));
  for (const s of SIZES) notes.set(s, sign(tree, s));
  const inclusion: VerifierInput['inclusion'] = [];
  // Every event in the latest checkpoint, with its canonical bytes so Go hashes the leaf itself.
  events.forEach((e, i) => {
    inclusion.push({ ...inclusionProofJson(tree, i, 50), leafData: b64(canonicalEventBytes(e)) });
  });
  // And some events in each earlier checkpoint.
  for (const s of SIZES.filter((x) => x > 0 && x < 50)) {
    for (const i of new Set([0, Math.floor(s / 2), s - 1])) inclusion.push(inclusionProofJson(tree, i, s));
  }
  const consistency: ConsistencyProofJson[] = [];
  for (const m of SIZES)
    for (const n of SIZES) if (m <= n) consistency.push(consistencyProofJson(tree, m, n));
  valid = {
    verifierKey: key.verifierKey,
    checkpoints: SIZES.map((s) => notes.get(s) as string),
    inclusion,
    consistency,
    leafHashes: events.map((e) => b64(eventLeafHash(e))),
  };
}, 300_000);

describe('the Go reference verifiers', () => {
  it('accept our checkpoints, inclusion proofs, consistency proofs and leaf hashes', () => {
    const run = runVerifier(valid);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report.ok).toBe(true);
    expect(run.report.checkpoints).toEqual(SIZES.map((s) => `${ORIGIN} ${s} ${b64(tree.root(s))}`));
    expect(run.report.inclusionVerified).toBe(valid.inclusion.length);
    expect(run.report.consistencyVerified).toBe(valid.consistency.length);
    expect(run.report.rootsRebuiltFromLeafHashes).toBe(SIZES.length);
    // Every leaf of 50; leaf 0 of 1; three leaves each of 7, 16 and 33.
    expect(valid.inclusion.length).toBe(50 + 1 + 3 * 3);
    expect(valid.consistency.length).toBe(21);
    console.info(`go build of the reference verifier: ${buildMs} ms`);
  });

  const latest = () => notes.get(50) as string;
  const withCheckpoint50 = (note: string): VerifierInput => ({
    ...valid,
    checkpoints: valid.checkpoints.map((c) => (c === latest() ? note : c)),
  });
  const impostor = generateKey(ORIGIN);
  const mutated = events.map((e, i) =>
    i === 17 ? { ...e, data: { ...(e.data as object), value: 12.3 } } : e,
  ) as RecordedEvent[];
  const mutatedTree = () => createMerkleTree(mutated.map(eventLeafHash));
  const incl = (i: number, size: number) =>
    valid.inclusion.find((p) => p.leafIndex === i && p.treeSize === size);
  const cons = (m: number, n: number) => valid.consistency.find((p) => p.oldSize === m && p.newSize === n);
  const flipFirstBit = (h: string): string => {
    const bytes = Buffer.from(h, 'base64');
    bytes[0] = (bytes[0] as number) ^ 0x80;
    return bytes.toString('base64');
  };

  const rejections: { name: string; input: () => VerifierInput; failure: RegExp }[] = [
    {
      name: 'a checkpoint whose size was altered after signing',
      input: () => withCheckpoint50(latest().replace('\n50\n', '\n51\n')),
      failure: /note\.Open: invalid signature/,
    },
    {
      name: 'a checkpoint whose root was altered after signing',
      input: () => withCheckpoint50(latest().replace(b64(tree.root(50)), b64(tree.root(33)))),
      failure: /note\.Open: invalid signature/,
    },
    {
      name: 'a checkpoint signed by another key under the same name',
      input: () => withCheckpoint50(sign(tree, 50, impostor.signerKey)),
      failure: /note\.Open: note has no verifiable signatures/,
    },
    {
      name: 'our checkpoints checked with another log’s key',
      input: () => ({ ...valid, verifierKey: generateKey('other.example/log').verifierKey }),
      failure: /note has no verifiable signatures/,
    },
    {
      name: 'a checkpoint from another origin than expected',
      input: () => ({ ...valid, origin: 'other.example/log' }),
      failure: /log\.ParseCheckpoint: got Origin/,
    },
    {
      name: 'a malformed signed note (no blank line)',
      input: () => withCheckpoint50(latest().replace('\n\n', '\n')),
      failure: /malformed note/,
    },
    {
      name: 'two signed checkpoints of one size with different roots (a forked log)',
      input: () => ({ ...valid, checkpoints: [...valid.checkpoints, sign(mutatedTree(), 50)] }),
      failure: /two different roots for size 50/,
    },
    {
      name: 'an inclusion proof with a flipped bit',
      input: () => {
        const p = incl(20, 50) as InclusionProofJson;
        return {
          ...valid,
          inclusion: [{ ...p, auditPath: [flipFirstBit(p.auditPath[0] as string), ...p.auditPath.slice(1)] }],
        };
      },
      failure: /tlog\.CheckRecord: invalid transparency proof/,
    },
    {
      name: 'an inclusion proof for another tree size',
      input: () => ({ ...valid, inclusion: [{ ...(incl(16, 33) as InclusionProofJson), treeSize: 50 }] }),
      failure: /tlog\.CheckRecord/,
    },
    {
      name: 'an inclusion proof relabelled as another leaf',
      input: () => ({ ...valid, inclusion: [{ ...(incl(20, 50) as InclusionProofJson), leafIndex: 21 }] }),
      failure: /tlog\.CheckRecord/,
    },
    {
      name: 'the leaf bytes of a mutated event',
      input: () => ({
        ...valid,
        inclusion: [
          {
            ...(incl(17, 50) as InclusionProofJson),
            leafData: b64(canonicalEventBytes(mutated[17] as RecordedEvent)),
          },
        ],
      }),
      failure: /tlog\.RecordHash\(leafData\) is not leafHash/,
    },
    {
      name: 'a consistency proof presented for other sizes',
      input: () => ({ ...valid, consistency: [{ ...(cons(16, 50) as ConsistencyProofJson), oldSize: 7 }] }),
      failure: /tlog\.CheckTree/,
    },
    {
      name: 'a consistency proof with a flipped bit',
      input: () => {
        const p = cons(33, 50) as ConsistencyProofJson;
        return {
          ...valid,
          consistency: [
            { ...p, proof: p.proof.map((h, i) => (i === p.proof.length - 1 ? flipFirstBit(h) : h)) },
          ],
        };
      },
      failure: /tlog\.CheckTree: invalid transparency proof/,
    },
    {
      name: 'a truncated log presented as extending the checkpoint',
      input: () => ({
        ...valid,
        consistency: [{ oldSize: 50, newSize: 33, proof: (cons(33, 50) as ConsistencyProofJson).proof }],
      }),
      failure: /consistency 0 \(50 -> 33\)/,
    },
    {
      name: 'a mutated log whose new checkpoint claims to extend the old one',
      input: () => {
        const longer = createMerkleTree([...mutated, ...ledgerEvents(60).slice(50)].map(eventLeafHash));
        return {
          ...valid,
          checkpoints: [latest(), sign(longer, 60)],
          inclusion: [],
          consistency: [consistencyProofJson(longer, 50, 60)],
          leafHashes: undefined,
        };
      },
      failure: /tlog\.CheckTree: invalid transparency proof/,
    },
    {
      name: 'the leaf hashes of a mutated log',
      input: () => ({
        ...valid,
        inclusion: [],
        consistency: [],
        leafHashes: mutated.map((e) => b64(eventLeafHash(e))),
      }),
      failure: /tlog\.TreeHash\(33\) is not the checkpoint's root/,
    },
  ];

  it.each(rejections)('reject $name', ({ input, failure }) => {
    const run = runVerifier(input());
    expect(run.status).toBe(1);
    expect(run.report.ok).toBe(false);
    expect(run.stderr).toMatch(failure);
  });
});
