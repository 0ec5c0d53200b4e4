/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a signed note whose text is
 *
 *     <origin>\n
 *     <tree size, decimal, no leading zeros>\n
 *     <base64 of the RFC 6962 / RFC 9162 root hash>\n
 *     [extension lines, each non-empty]\n
 *
 * This library writes no extension lines (the specification does not recommend them) and signs
 * with the origin as key name (it SHOULD match). When opening, it returns extension lines as they
 * are, and requires the origin to be the expected one (by default, the verifier key's name).
 */
import { fromBase64, toBase64 } from './bytes.ts';
import { TransparencyLogError } from './errors.ts';
import {
  isValidKeyName,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.ts';
import { HASH_SIZE, isTreeSize } from './rfc9162.ts';

export interface Checkpoint {
  /** The log's identity, e.g. `ledger.example.gov.vn/indicators`. */
  readonly origin: string;
  /** The number of leaves (events) the root covers. */
  readonly size: number;
  /** The RFC 9162 Merkle tree hash of those leaves (32 bytes). */
  readonly root: Uint8Array;
}

export interface OpenedCheckpoint extends Checkpoint {
  /** Lines after the root hash, if any (opaque). */
  readonly extensions: readonly string[];
  /** The checkpoint's note text (the signed body). */
  readonly text: string;
  /** The verified signatures (by the given key). */
  readonly signatures: readonly NoteSignature[];
  /** Signatures by other keys (witnesses, say), not checked. */
  readonly unverifiedSignatures: readonly NoteSignature[];
}

const malformed = (message: string) => new TransparencyLogError('malformed-checkpoint', message);

/** The checkpoint's note text: origin, size and base64 root, each ending in a newline. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root } = checkpoint;
  if (!isValidKeyName(origin)) {
    throw malformed(`formatCheckpoint: the origin must be a valid key name, got ${JSON.stringify(origin)}`);
  }
  if (!isTreeSize(size)) throw malformed(`formatCheckpoint: ${size} is not a tree size`);
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) {
    throw malformed('formatCheckpoint: the root is 32 bytes');
  }
  return `${origin}\n${size}\n${toBase64(root)}\n`;
}

/** Parses a checkpoint's note text (not its signatures: see openCheckpoint). */
export function parseCheckpoint(text: string): Checkpoint & { readonly extensions: readonly string[] } {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw malformed('a checkpoint ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('a checkpoint has at least three lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw malformed('the origin line is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw malformed('the size is not a decimal number without leading zeros');
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed('the size is too large');
  const root = fromBase64(rootText);
  if (root === undefined || root.length !== HASH_SIZE) throw malformed('the root is not base64 of 32 bytes');
  if (extensions.some((line) => line === '')) throw malformed('an extension line is empty');
  return { origin, size, root, extensions };
}

/**
 * Signs a checkpoint: the full signed note, ready to publish. `signer` is a signer key string
 * (PRIVATE+KEY+…) or a NoteSigner; its key name must be the checkpoint's origin.
 */
export function signCheckpoint(checkpoint: Checkpoint, signer: string | NoteSigner): string {
  const s = typeof signer === 'string' ? parseSignerKey(signer) : signer;
  const text = formatCheckpoint(checkpoint);
  if (s.name !== checkpoint.origin) {
    throw malformed(`signCheckpoint: the key name ${s.name} is not the origin ${checkpoint.origin}`);
  }
  return signNote(text, [s]);
}

export interface OpenCheckpointOptions {
  /** The origin expected; default: the verifier key's name. */
  readonly origin?: string;
}

/**
 * Verifies and parses a signed checkpoint. Throws a TransparencyLogError: malformed-key,
 * malformed-note, wrong-key (not signed by this key), bad-signature (signed by this key, but the
 * text was altered), malformed-checkpoint, origin-mismatch.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifierKey: string | NoteVerifier,
  options: OpenCheckpointOptions = {},
): OpenedCheckpoint {
  const verifier = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const opened = openNote(note, [verifier]);
  const parsed = parseCheckpoint(opened.text);
  const expected = options.origin ?? verifier.name;
  if (parsed.origin !== expected) {
    throw new TransparencyLogError(
      'origin-mismatch',
      `the checkpoint is from ${JSON.stringify(parsed.origin)}, expected ${JSON.stringify(expected)}`,
    );
  }
  return {
    ...parsed,
    text: opened.text,
    signatures: opened.signatures,
    unverifiedSignatures: opened.unverifiedSignatures,
  };
}
