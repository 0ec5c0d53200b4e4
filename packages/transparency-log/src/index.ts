export { bytesEqual, fromBase64, toBase64 } from './bytes.ts';
export { canonicalEventBytes, canonicalJson, eventLeafHash, eventLeafHashes } from './canonical.ts';
export {
  type Checkpoint,
  formatCheckpoint,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from './checkpoint.ts';
export { type Cosignature, cosign, cosignatureKey, openCosignatures } from './cosignature.ts';
export { TransparencyLogError, type TransparencyLogErrorCode } from './errors.ts';
export {
  formatKeyStatement,
  isStatementReason,
  type KeyLoss,
  type KeyRotation,
  type KeyStatement,
  keyHandle,
  type OpenedKeyStatement,
  openKeyStatement,
  parseKeyStatement,
  signKeyLoss,
  signKeyRotation,
} from './key-statement.ts';
export {
  generateKey,
  isValidKeyName,
  keyId,
  MAX_SIGNATURES,
  type NoteKeyPair,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  type ReadNote,
  readNote,
  signNote,
  verifierKeyOf,
} from './note.ts';
export {
  type ConsistencyProof,
  type ConsistencyProofJson,
  consistencyProofJson,
  type InclusionProof,
  type InclusionProofJson,
  inclusionProofJson,
  parseConsistencyProof,
  parseInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './proofs.ts';
export {
  consistencyProof,
  emptyRoot,
  HASH_SIZE,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from './rfc9162.ts';
export { createMerkleTree, type MerkleTree } from './tree.ts';
