/**
 * Key statements: signed notes by which a log changes the key that signs its checkpoints, so that
 * a verifier who pinned one key can follow the log through every later (and earlier) key.
 *
 *     <origin>\n
 *     key-rotation\n                     or   key-loss\n
 *     <tree size>\n
 *     <base64 root of the tree of that size>\n
 *     previous <verifier key>\n               lost <key name>+<8 hex key id>\n
 *     next <verifier key>\n                   next <verifier key>\n
 *     [reason <text>]\n                       reason <text>\n
 *
 * A rotation is signed by the previous key (which vouches for the next) and by the next (which
 * shows it is held); either key, once trusted, vouches for the other. A loss is signed by the next
 * key only, since the lost one cannot sign: it records that the chain of signatures breaks there.
 * The second line is not a number, so no tlog-checkpoint parser can take a statement for a
 * checkpoint; the size and root bind it to one tree, so it cannot be replayed into another log.
 */
import { fromBase64, toBase64 } from './bytes.ts';
import { TransparencyLogError } from './errors.ts';
import {
  isValidKeyName,
  type NoteSignature,
  type NoteVerifier,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  readNote,
  signNote,
  verifierKeyOf,
} from './note.ts';
import { HASH_SIZE, isTreeSize } from './rfc9162.ts';

interface StatementBase {
  readonly origin: string;
  /** The tree the statement was made at. */
  readonly size: number;
  readonly root: Uint8Array;
  /** The key that signs the log's checkpoints from this statement on. */
  readonly nextKey: string;
  readonly reason?: string;
}

export interface KeyRotation extends StatementBase {
  readonly kind: 'key-rotation';
  /** The verifier key retired by the rotation. */
  readonly previousKey: string;
}

export interface KeyLoss extends StatementBase {
  readonly kind: 'key-loss';
  /** `<name>+<8 hex key id>` of the key that was lost (its public half may be unknown to the log). */
  readonly lostKey: string;
  readonly reason: string;
}

export type KeyStatement = KeyRotation | KeyLoss;

const malformed = (message: string) => new TransparencyLogError('malformed-statement', message);

const KEY_HANDLE = /^[^+\s]+\+[0-9a-f]{8}$/;

/** `<name>+<8 hex key id>`: how a signature line and a person name a key. */
export function keyHandle(verifierKey: string | NoteVerifier | NoteSignature): string {
  const { name, keyId } = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  return `${name}+${keyId.toString(16).padStart(8, '0')}`;
}

/** Whether a reason can go on one line of a note: non-empty, no control character, at most 500. */
export const isStatementReason = (reason: string): boolean =>
  typeof reason === 'string' &&
  reason.trim() !== '' &&
  reason.length <= 500 &&
  reason.isWellFormed() &&
  !/\p{Cc}/u.test(reason);

/** The statement's note text. */
export function formatKeyStatement(statement: KeyStatement): string {
  const { origin, size, root, nextKey, reason } = statement;
  if (!isValidKeyName(origin)) throw malformed(`the origin must be a valid key name`);
  if (!isTreeSize(size)) throw malformed(`${size} is not a tree size`);
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) throw malformed('the root is 32 bytes');
  if (reason !== undefined && !isStatementReason(reason))
    throw malformed('the reason is one line of at most 500 characters, without control characters');
  if (parseVerifierKey(nextKey).name !== origin)
    throw malformed('the next key is not named after the origin');
  const from =
    statement.kind === 'key-rotation'
      ? `previous ${checkedKey(statement.previousKey, origin)}`
      : `lost ${checkedHandle(statement.lostKey)}`;
  if (statement.kind === 'key-loss' && reason === undefined) throw malformed('a key loss says why');
  return `${origin}\n${statement.kind}\n${size}\n${toBase64(root)}\n${from}\nnext ${nextKey}\n${reason === undefined ? '' : `reason ${reason}\n`}`;
}

function checkedKey(key: string, origin: string): string {
  if (parseVerifierKey(key).name !== origin)
    throw malformed('the previous key is not named after the origin');
  return key;
}

function checkedHandle(handle: string): string {
  if (!KEY_HANDLE.test(handle)) throw malformed('the lost key is <name>+<8 hex key id>');
  return handle;
}

/** Parses a statement's note text (not its signatures). */
export function parseKeyStatement(text: string): KeyStatement {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw malformed('a statement ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin = '', kind, sizeText = '', rootText = '', from = '', next = '', ...rest] = lines;
  if (kind !== 'key-rotation' && kind !== 'key-loss') throw malformed('not a key statement');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw malformed('the size is not a decimal number');
  const root = fromBase64(rootText);
  if (root === undefined || root.length !== HASH_SIZE) throw malformed('the root is not base64 of 32 bytes');
  if (!next.startsWith('next '))
    throw malformed('the line after the key it replaces is "next <verifier key>"');
  if (rest.length > 1 || (rest.length === 1 && !rest[0]?.startsWith('reason ')))
    throw malformed('only a "reason <text>" line may follow the next key');
  const reason = rest[0]?.slice('reason '.length);
  const base = { origin, size: Number(sizeText), root, nextKey: next.slice('next '.length) };
  const statement: KeyStatement =
    kind === 'key-rotation'
      ? {
          kind,
          ...base,
          previousKey: prefixed(from, 'previous '),
          ...(reason === undefined ? {} : { reason }),
        }
      : { kind, ...base, lostKey: prefixed(from, 'lost '), reason: reason ?? '' };
  // Formatting again checks every field and that nothing was written in another way.
  if (formatKeyStatement(statement) !== text) throw malformed('the statement is not in its one written form');
  return statement;
}

function prefixed(line: string, prefix: string): string {
  if (!line.startsWith(prefix)) throw malformed(`the fifth line starts with "${prefix}"`);
  return line.slice(prefix.length);
}

/**
 * Signs a rotation with the previous and the next signer key: the signed note. `nextKey` and
 * `previousKey` are derived from the signer keys.
 */
export function signKeyRotation(
  tree: { origin: string; size: number; root: Uint8Array },
  previousSigner: string,
  nextSigner: string,
  reason?: string,
): string {
  const text = formatKeyStatement({
    kind: 'key-rotation',
    ...tree,
    previousKey: verifierKeyOf(previousSigner),
    nextKey: verifierKeyOf(nextSigner),
    ...(reason === undefined ? {} : { reason }),
  });
  return signNote(text, [parseSignerKey(previousSigner), parseSignerKey(nextSigner)]);
}

/** Signs a loss of the key `lostKey` (`<name>+<id>`) with the key that replaces it. */
export function signKeyLoss(
  tree: { origin: string; size: number; root: Uint8Array },
  lostKey: string,
  nextSigner: string,
  reason: string,
): string {
  const text = formatKeyStatement({
    kind: 'key-loss',
    ...tree,
    lostKey,
    nextKey: verifierKeyOf(nextSigner),
    reason,
  });
  return signNote(text, [parseSignerKey(nextSigner)]);
}

export type OpenedKeyStatement = KeyStatement & {
  /** Handles of the statement's keys whose signatures verified. */
  readonly signedBy: readonly string[];
};

/**
 * Opens a statement: parses its text and verifies the signatures of the keys it names (a rotation:
 * the previous and the next; a loss: the next). Both of a rotation's must be there and valid; a
 * signature by another key is ignored. Throws malformed-note, malformed-statement, bad-signature
 * or wrong-key.
 */
export function openKeyStatement(note: string): OpenedKeyStatement {
  const statement = parseKeyStatement(readNote(note).text);
  const keys =
    statement.kind === 'key-rotation' ? [statement.previousKey, statement.nextKey] : [statement.nextKey];
  const verifiers = keys.map((k) => parseVerifierKey(k));
  if (new Set(verifiers.map(keyHandle)).size !== verifiers.length)
    throw malformed('a rotation names two different keys');
  const opened = openNote(note, verifiers);
  const signedBy = opened.signatures.map(keyHandle);
  for (const v of verifiers)
    if (!signedBy.includes(keyHandle(v)))
      throw new TransparencyLogError('wrong-key', `the statement is not signed by ${keyHandle(v)}`);
  return { ...statement, signedBy };
}
