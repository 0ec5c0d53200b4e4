/**
 * Tamper evidence at the library level. A log of recorded events is committed to by a signed
 * checkpoint; then the log is altered in each way an operator or an intruder could alter it, and
 * whoever holds the original checkpoint must notice:
 * - recomputing the tree from the altered events gives another root at the checkpoint's size;
 * - the altered log cannot show that it extends the checkpoint (consistency proof fails);
 * - an original event can no longer be proven included (inclusion proof fails).
 * Also: a checkpoint signed by another key does not open, and proofs for other sizes fail.
 */
import type { RecordedEvent } from '@ledger/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, toBase64 } from '../src/bytes.ts';
import { eventLeafHash, eventLeafHashes } from '../src/canonical.ts';
import { type OpenedCheckpoint, openCheckpoint, signCheckpoint } from '../src/checkpoint.ts';
import { TransparencyLogError } from '../src/errors.ts';
import { generateKey } from '../src/note.ts';
import {
  consistencyProofJson,
  inclusionProofJson,
  parseConsistencyProof,
  parseInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/proofs.ts';
import { createMerkleTree, type MerkleTree } from '../src/tree.ts';
import { ledgerEvents } from './fixtures/events.ts';

const ORIGIN = 'ledger.example.gov.vn/indicators';
const key = generateKey(ORIGIN);
const events = ledgerEvents(40);
/** The checkpoint the auditor holds: the log at 40 events. */
let original: OpenedCheckpoint;
let originalTree: MerkleTree;

const treeOf = (log: readonly RecordedEvent[]): MerkleTree => createMerkleTree(log.map(eventLeafHash));
/** The log signs a checkpoint of its current tree, with the log's own key. */
const checkpointOf = (tree: MerkleTree): OpenedCheckpoint =>
  openCheckpoint(
    signCheckpoint({ origin: ORIGIN, size: tree.size, root: tree.root() }, key.signerKey),
    key.verifierKey,
  );

beforeAll(() => {
  originalTree = treeOf(events);
  original = checkpointOf(originalTree);
});

const at = (i: number): RecordedEvent => events[i] as RecordedEvent;
const valueEvent = at(17);

/** Each way of altering the log; all but truncation keep (or grow) its length. */
const alterations: { name: string; log: () => RecordedEvent[] }[] = [
  {
    name: 'event data changed (a value)',
    log: () =>
      events.map((e) => (e === valueEvent ? { ...e, data: { ...(e.data as object), value: 99.9 } } : e)),
  },
  {
    name: 'event metadata changed (the actor)',
    log: () =>
      events.map((e) => (e === valueEvent ? { ...e, metadata: { ...e.metadata, actor: 'intruder' } } : e)),
  },
  {
    name: 'envelope changed (recordedAt back-dated)',
    log: () => events.map((e) => (e === valueEvent ? { ...e, recordedAt: '2023-12-31T23:59:59.000Z' } : e)),
  },
  {
    name: 'two events swapped (positions kept in order)',
    log: () => {
      const log = [...events];
      log[17] = { ...at(18), position: at(17).position };
      log[18] = { ...at(17), position: at(18).position };
      return log;
    },
  },
  {
    name: 'two events swapped (as recorded)',
    log: () => {
      const log = [...events];
      log[17] = at(18);
      log[18] = at(17);
      return log;
    },
  },
  { name: 'an event deleted', log: () => events.filter((e) => e !== valueEvent) },
  {
    name: 'an event inserted',
    log: () => {
      const forged = {
        ...valueEvent,
        eventId: '0190a1b2-ffff-7000-8000-000000000000',
        position: valueEvent.position + 1,
      };
      return [...events.slice(0, 18), forged, ...events.slice(18)];
    },
  },
  {
    name: 'an event deleted, with a new one appended to keep the length',
    log: () => [...events.filter((e) => e !== valueEvent), ...ledgerEvents(41).slice(40)],
  },
  { name: 'truncated (the last 5 events removed)', log: () => events.slice(0, 35) },
];

describe('a log altered after its checkpoint is detected', () => {
  it.each(alterations)('$name', ({ log }) => {
    const altered = log();
    const tree = treeOf(altered);

    // 1. Recomputing the tree from the altered log: another root at the checkpoint's size, or
    //    not enough events left to reach it.
    if (tree.size >= original.size) {
      expect(bytesEqual(tree.root(original.size), original.root)).toBe(false);
    } else {
      expect(tree.size).toBeLessThan(original.size);
    }

    // 2. The altered log's next checkpoint cannot be shown to extend the original one.
    const next = checkpointOf(tree);
    if (tree.size >= original.size) {
      const proof = consistencyProofJson(tree, original.size, tree.size);
      expect(verifyConsistencyProof(proof, original, next)).toBe(false);
    } else {
      // Truncated: no proof exists from the larger tree to the smaller; none verifies.
      expect(() => tree.consistencyProof(original.size, tree.size)).toThrow(RangeError);
      expect(
        verifyConsistencyProof({ oldSize: original.size, newSize: next.size, proof: [] }, original, next),
      ).toBe(false);
      const stale = consistencyProofJson(originalTree, next.size, original.size);
      expect(verifyConsistencyProof(stale, original, next)).toBe(false);
    }
    expect(bytesEqual(next.root, original.root)).toBe(false);

    // 3. No inclusion proof from the altered log verifies against the original checkpoint…
    for (let i = 0; i < tree.size; i++) {
      if (verifyInclusionProof(inclusionProofJson(tree, i), original)) expect.unreachable(`leaf ${i}`);
    }
    // …and the original events it changed, moved or dropped cannot be proven where they were.
    let gone = 0;
    events.forEach((e, i) => {
      if (i < tree.size && bytesEqual(tree.leafHash(i), eventLeafHash(e))) return;
      gone++;
      if (i < tree.size) {
        expect(verifyInclusionProof(inclusionProofJson(tree, i), next, eventLeafHash(e))).toBe(false);
      }
    });
    expect(gone).toBeGreaterThan(0);
  });

  it('the unaltered log verifies: same root, consistent with a later append, every event included', () => {
    const tree = treeOf(events);
    expect(bytesEqual(tree.root(), original.root)).toBe(true);
    const longer = treeOf(ledgerEvents(45));
    const next = checkpointOf(longer);
    expect(verifyConsistencyProof(consistencyProofJson(longer, original.size), original, next)).toBe(true);
    events.forEach((e, i) => {
      const proof = inclusionProofJson(tree, i);
      expect(verifyInclusionProof(proof, original, eventLeafHash(e))).toBe(true);
      expect(verifyInclusionProof(inclusionProofJson(longer, i), next, eventLeafHash(e))).toBe(true);
    });
  });

  it('a swapped order is also refused when the leaves are computed in log order', () => {
    const swapped = alterations.find((a) => a.name === 'two events swapped (as recorded)')?.log() ?? [];
    expect(() => eventLeafHashes(swapped)).toThrow(RangeError);
  });
});

describe('checkpoints and proofs that are not what they claim', () => {
  it('a checkpoint signed by another key does not open', () => {
    const impostor = generateKey(ORIGIN);
    const forged = signCheckpoint({ origin: ORIGIN, size: 40, root: original.root }, impostor.signerKey);
    expect(() => openCheckpoint(forged, key.verifierKey)).toThrow(TransparencyLogError);
    try {
      openCheckpoint(forged, key.verifierKey);
    } catch (e) {
      expect((e as TransparencyLogError).code).toBe('wrong-key');
    }
  });

  it('an inclusion proof for another tree size fails', () => {
    const older = checkpointOf(createMerkleTree(events.slice(0, 30).map(eventLeafHash)));
    const proof = inclusionProofJson(originalTree, 5, 30);
    expect(verifyInclusionProof(proof, older)).toBe(true);
    // The same proof against the checkpoint of 40: wrong size.
    expect(verifyInclusionProof(proof, original)).toBe(false);
    // Relabelled as a proof for 40: the path does not lead to that root.
    expect(verifyInclusionProof({ ...proof, treeSize: 40 }, original)).toBe(false);
  });

  it('an inclusion proof for another event fails', () => {
    const proof = inclusionProofJson(originalTree, 5);
    expect(verifyInclusionProof(proof, original, eventLeafHash(at(6)))).toBe(false);
    expect(verifyInclusionProof({ ...proof, leafHash: toBase64(eventLeafHash(at(6))) }, original)).toBe(
      false,
    );
    expect(verifyInclusionProof({ ...proof, leafIndex: 6 }, original)).toBe(false);
  });

  it('a consistency proof for other sizes fails', () => {
    const t30 = checkpointOf(createMerkleTree(events.slice(0, 30).map(eventLeafHash)));
    const t20 = checkpointOf(createMerkleTree(events.slice(0, 20).map(eventLeafHash)));
    const proof = consistencyProofJson(originalTree, 30, 40);
    expect(verifyConsistencyProof(proof, t30, original)).toBe(true);
    expect(verifyConsistencyProof(proof, t20, original)).toBe(false);
    expect(verifyConsistencyProof({ ...proof, oldSize: 20 }, t20, original)).toBe(false);
    // Backwards: a newer checkpoint does not "extend" to an older one.
    expect(verifyConsistencyProof({ oldSize: 40, newSize: 30, proof: proof.proof }, original, t30)).toBe(
      false,
    );
  });

  it('a consistency proof between checkpoints of different logs fails', () => {
    const otherKey = generateKey('other.example/log');
    const theirs = openCheckpoint(
      signCheckpoint({ origin: 'other.example/log', size: 40, root: original.root }, otherKey.signerKey),
      otherKey.verifierKey,
    );
    const t30 = checkpointOf(createMerkleTree(events.slice(0, 30).map(eventLeafHash)));
    expect(verifyConsistencyProof(consistencyProofJson(originalTree, 30, 40), t30, theirs)).toBe(false);
  });
});

describe('proof JSON', () => {
  it('has the documented shape', () => {
    const inc = inclusionProofJson(originalTree, 3);
    expect(Object.keys(inc)).toEqual(['leafIndex', 'treeSize', 'leafHash', 'auditPath']);
    expect(inc.leafIndex).toBe(3);
    expect(inc.treeSize).toBe(40);
    expect(inc.leafHash).toBe(toBase64(eventLeafHash(at(3))));
    expect(inc.auditPath).toHaveLength(6);
    for (const h of inc.auditPath) expect(h).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const con = consistencyProofJson(originalTree, 13, 40);
    expect(Object.keys(con)).toEqual(['oldSize', 'newSize', 'proof']);
    expect(JSON.parse(JSON.stringify(con))).toEqual(con);
  });

  it('parses only the documented shape', () => {
    const inc = inclusionProofJson(originalTree, 3);
    expect(parseInclusionProof(JSON.parse(JSON.stringify(inc))).leafIndex).toBe(3);
    for (const bad of [
      null,
      [],
      { ...inc, leafIndex: -1 },
      { ...inc, treeSize: '40' },
      { ...inc, leafHash: inc.leafHash.slice(1) },
      { ...inc, leafHash: `${inc.leafHash.slice(0, 10)}-${inc.leafHash.slice(11)}` }, // url-safe alphabet
      { ...inc, auditPath: 'not a list' },
      { ...inc, auditPath: [...inc.auditPath, 'AAAA'] },
    ]) {
      expect(() => parseInclusionProof(bad)).toThrow(TransparencyLogError);
      expect(verifyInclusionProof(bad, original)).toBe(false);
    }
    for (const bad of [{}, { oldSize: 1, newSize: 2 }, { oldSize: 1, newSize: 2, proof: [1] }]) {
      expect(() => parseConsistencyProof(bad)).toThrow(TransparencyLogError);
    }
  });
});
