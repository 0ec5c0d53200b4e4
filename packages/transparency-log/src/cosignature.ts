/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), cosignature/v1: a witness's timestamped
 * Ed25519 signature on a checkpoint, saying it saw that tree and that it extends every earlier one
 * the witness saw of the log. It is one more signature line of the checkpoint's note:
 *
 *     — <witness name> base64(key hash (4) || timestamp (8, big-endian seconds) || signature (64))
 *
 * over the message "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint's text. The key
 * hash is that of the name and 0x04 || public key, so a witness key signs checkpoints only as a
 * witness. A witness's verifier key is given in its cosignature form (0x04) or as a plain Ed25519
 * verifier key (0x01) of the same key, as Go's transparency-dev/formats accepts both.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { concatBytes, fromBase64, toBase64, utf8 } from './bytes.ts';
import { TransparencyLogError } from './errors.ts';
import { keyId, parseSignerKey, readNote } from './note.ts';

const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

const malformedKey = (message: string) => new TransparencyLogError('malformed-key', message);

/** A witness's public key: its name, the key hash its cosignatures carry, and the raw key. */
interface WitnessKey {
  readonly name: string;
  readonly keyHash: number;
  readonly publicKey: Uint8Array;
}

function parseWitnessKey(verifierKey: string): WitnessKey {
  // The base64 key may itself hold '+': only the first two split the fields.
  const first = verifierKey.indexOf('+');
  const second = first < 0 ? -1 : verifierKey.indexOf('+', first + 1);
  const name = verifierKey.slice(0, Math.max(first, 0));
  const hash = verifierKey.slice(first + 1, Math.max(second, 0));
  const key = second < 0 ? undefined : fromBase64(verifierKey.slice(second + 1));
  if (!/^[0-9a-f]{8}$/i.test(hash) || key === undefined || key.length !== 33)
    throw malformedKey('witness key: expected <name>+<key id>+<base64 key>');
  if (key[0] !== ALG_ED25519 && key[0] !== ALG_COSIGNATURE_V1)
    throw malformedKey(`witness key: not an Ed25519 key (algorithm ${key[0]})`);
  if (keyId(name, key) !== Number.parseInt(hash, 16))
    throw malformedKey('witness key: the key id does not match the name and key');
  const publicKey = key.subarray(1);
  return { name, keyHash: keyId(name, concatBytes(Uint8Array.of(ALG_COSIGNATURE_V1), publicKey)), publicKey };
}

/** The cosignature/v1 form of a witness's verifier key (algorithm 0x04, its own key id). */
export function cosignatureKey(verifierKey: string): string {
  const { name, keyHash, publicKey } = parseWitnessKey(verifierKey);
  const key = concatBytes(Uint8Array.of(ALG_COSIGNATURE_V1), publicKey);
  return `${name}+${keyHash.toString(16).padStart(8, '0')}+${toBase64(key)}`;
}

const message = (time: number, text: string) => utf8(`cosignature/v1\ntime ${time}\n${text}`);

/**
 * Cosigns a checkpoint as the witness whose signer key is given (PRIVATE+KEY+…, Ed25519): the note
 * with one more signature line. `time` is in seconds since the epoch (default now).
 */
export function cosign(note: string, witnessSignerKey: string, time = Math.floor(Date.now() / 1000)): string {
  const { text } = readNote(note);
  const { name } = parseSignerKey(witnessSignerKey);
  // PRIVATE+KEY+<name>+<id>+<base64>: the key is what follows the fourth '+'.
  const fields = witnessSignerKey.split('+');
  const seed = fromBase64(fields.slice(4).join('+'))?.subarray(1) as Uint8Array;
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = new Uint8Array(
    createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length),
  );
  const hash = keyId(name, concatBytes(Uint8Array.of(ALG_COSIGNATURE_V1), publicKey));
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, hash);
  view.setBigUint64(4, BigInt(time));
  const signature = new Uint8Array(sign(null, message(time, text), privateKey));
  return `${note}\u2014 ${name} ${toBase64(concatBytes(head, signature))}\n`;
}

export interface Cosignature {
  /** `<name>+<key id>` of the witness's cosignature key. */
  readonly witness: string;
  /** When the witness cosigned, seconds since the epoch. */
  readonly time: number;
}

/**
 * The valid cosignatures of the given witnesses on a note. A witness that did not cosign is left
 * out; a cosignature by a given witness that does not verify throws bad-signature (the note was
 * altered, or the line forged).
 */
export function openCosignatures(note: string, witnessKeys: readonly string[]): Cosignature[] {
  const { text, lines } = readNote(note);
  const found: Cosignature[] = [];
  for (const key of witnessKeys) {
    const witness = parseWitnessKey(key);
    const handle = `${witness.name}+${witness.keyHash.toString(16).padStart(8, '0')}`;
    const line = lines.find((l) => l.name === witness.name && l.keyId === witness.keyHash);
    if (!line) continue;
    if (line.signature.length !== 8 + 64)
      throw new TransparencyLogError('bad-signature', `the cosignature of ${handle} is not a cosignature/v1`);
    const time = Number(new DataView(line.signature.buffer, line.signature.byteOffset).getBigUint64(0));
    const publicKey = createPublicKey({
      key: Buffer.concat([SPKI_ED25519, witness.publicKey]),
      format: 'der',
      type: 'spki',
    });
    if (!verify(null, message(time, text), publicKey, line.signature.subarray(8)))
      throw new TransparencyLogError('bad-signature', `invalid cosignature by ${handle}`);
    found.push({ witness: handle, time });
  }
  return found;
}
