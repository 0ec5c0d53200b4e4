/**
 * Proofs as JSON, for the API: RFC 9162 audit paths and consistency paths as lists of base64
 * hashes (standard base64 with padding, like the checkpoint's root), in the RFC's order (from the
 * leaf upwards).
 *
 *     { "leafIndex": 3, "treeSize": 8, "leafHash": "…", "auditPath": ["…", "…", "…"] }
 *     { "oldSize": 5, "newSize": 8, "proof": ["…", "…"] }
 *
 * Verification against checkpoints requires the proof's sizes to be the checkpoints' sizes, and
 * both checkpoints of a consistency proof to be from the same origin.
 */
import { bytesEqual, fromBase64, toBase64 } from './bytes.ts';
import type { Checkpoint } from './checkpoint.ts';
import { TransparencyLogError } from './errors.ts';
import { HASH_SIZE, isTreeSize, verifyConsistency, verifyInclusion } from './rfc9162.ts';
import type { MerkleTree } from './tree.ts';

export interface InclusionProofJson {
  readonly leafIndex: number;
  readonly treeSize: number;
  /** base64 of the leaf hash SHA-256(0x00 || canonical event bytes). */
  readonly leafHash: string;
  readonly auditPath: readonly string[];
}

export interface ConsistencyProofJson {
  readonly oldSize: number;
  readonly newSize: number;
  readonly proof: readonly string[];
}

export interface InclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Uint8Array;
  readonly auditPath: readonly Uint8Array[];
}

export interface ConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly proof: readonly Uint8Array[];
}

/** The inclusion proof of leaf `leafIndex` in the tree's first `treeSize` leaves, as JSON. */
export function inclusionProofJson(
  tree: MerkleTree,
  leafIndex: number,
  treeSize = tree.size,
): InclusionProofJson {
  const auditPath = tree.inclusionProof(leafIndex, treeSize);
  return {
    leafIndex,
    treeSize,
    leafHash: toBase64(tree.leafHash(leafIndex)),
    auditPath: auditPath.map(toBase64),
  };
}

/** The consistency proof between two sizes of the tree, as JSON. */
export function consistencyProofJson(
  tree: MerkleTree,
  oldSize: number,
  newSize = tree.size,
): ConsistencyProofJson {
  return { oldSize, newSize, proof: tree.consistencyProof(oldSize, newSize).map(toBase64) };
}

const malformed = (message: string) => new TransparencyLogError('malformed-proof', message);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function hashFrom(value: unknown, what: string): Uint8Array {
  const bytes = typeof value === 'string' ? fromBase64(value) : undefined;
  if (bytes === undefined || bytes.length !== HASH_SIZE) throw malformed(`${what} is not base64 of 32 bytes`);
  return bytes;
}

function hashesFrom(value: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(value) || value.length > 128) {
    throw malformed(`${what} is not a list of at most 128 hashes`);
  }
  return value.map((v, i) => hashFrom(v, `${what}[${i}]`));
}

function sizeFrom(value: unknown, what: string): number {
  if (!isTreeSize(value)) throw malformed(`${what} is not a non-negative integer`);
  return value;
}

/** Parses untrusted inclusion proof JSON; throws malformed-proof. */
export function parseInclusionProof(json: unknown): InclusionProof {
  if (!isRecord(json)) throw malformed('an inclusion proof is an object');
  return {
    leafIndex: sizeFrom(json.leafIndex, 'leafIndex'),
    treeSize: sizeFrom(json.treeSize, 'treeSize'),
    leafHash: hashFrom(json.leafHash, 'leafHash'),
    auditPath: hashesFrom(json.auditPath, 'auditPath'),
  };
}

/** Parses untrusted consistency proof JSON; throws malformed-proof. */
export function parseConsistencyProof(json: unknown): ConsistencyProof {
  if (!isRecord(json)) throw malformed('a consistency proof is an object');
  return {
    oldSize: sizeFrom(json.oldSize, 'oldSize'),
    newSize: sizeFrom(json.newSize, 'newSize'),
    proof: hashesFrom(json.proof, 'proof'),
  };
}

/**
 * Does the proof show its leaf is in the checkpoint's tree? The proof must be for the
 * checkpoint's size. With `expectedLeafHash` (e.g. eventLeafHash of the event in question), the
 * proof must also be about that leaf. False for anything malformed.
 */
export function verifyInclusionProof(
  json: unknown,
  checkpoint: Checkpoint,
  expectedLeafHash?: Uint8Array,
): boolean {
  let p: InclusionProof;
  try {
    p = parseInclusionProof(json);
  } catch {
    return false;
  }
  if (p.treeSize !== checkpoint.size) return false;
  if (expectedLeafHash !== undefined && !bytesEqual(expectedLeafHash, p.leafHash)) return false;
  return verifyInclusion(p.leafHash, p.leafIndex, p.treeSize, p.auditPath, checkpoint.root);
}

/**
 * Does the proof show that `newer` extends `older`: same log, at least as large, and the older
 * tree a prefix of the newer? False for anything malformed, for another log's checkpoint, and
 * for a smaller (truncated) newer tree.
 */
export function verifyConsistencyProof(json: unknown, older: Checkpoint, newer: Checkpoint): boolean {
  let p: ConsistencyProof;
  try {
    p = parseConsistencyProof(json);
  } catch {
    return false;
  }
  if (older.origin !== newer.origin) return false;
  if (p.oldSize !== older.size || p.newSize !== newer.size) return false;
  return verifyConsistency(older.size, newer.size, older.root, newer.root, p.proof);
}
