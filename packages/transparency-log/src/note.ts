/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, compatible with the Go
 * reference implementation golang.org/x/mod/sumdb/note:
 *
 *     <text, ending in a newline>
 *     <blank line>
 *     — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>
 *
 * key ID = first 4 bytes (big-endian) of SHA-256(key name || 0x0A || 0x01 || 32-byte public key).
 *
 * Key strings are those of the Go package:
 *   verifier key  <name>+<8 hex digits key ID>+<base64(0x01 || public key)>
 *   signer key    PRIVATE+KEY+<name>+<8 hex digits key ID>+<base64(0x01 || 32-byte seed)>
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { concatBytes, fromBase64, toBase64, utf8 } from './bytes.ts';
import { TransparencyLogError } from './errors.ts';

/** Signature type byte of Ed25519 in C2SP signed-note. */
const ALG_ED25519 = 0x01;
/** DER prefixes that turn a raw Ed25519 seed / public key into PKCS #8 / SPKI. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
/** Like the Go implementation: more signature lines than this make the note malformed. */
export const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSigner {
  readonly name: string;
  /** The 32-bit key ID (key hash) as an unsigned number. */
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteKeyPair {
  /** PRIVATE+KEY+<name>+<id>+<base64>: keep secret. */
  readonly signerKey: string;
  /** <name>+<id>+<base64>: give to whoever verifies. */
  readonly verifierKey: string;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature line's base64 field (key ID and signature). */
  readonly base64: string;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  /** Signatures by the given verifiers, all verified. */
  readonly signatures: readonly NoteSignature[];
  /** Signatures by keys not given, not checked (ignored, as the specification requires). */
  readonly unverifiedSignatures: readonly NoteSignature[];
}

/** No ASCII control character but newline, and valid UTF-16 (so valid UTF-8 once encoded). */
function isNoteSafe(text: string): boolean {
  if (!text.isWellFormed()) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return false;
  }
  return true;
}

/**
 * Key names (and so checkpoint origins, here): non-empty, no Unicode white space (the Unicode
 * White_Space property, which is Go's unicode.IsSpace), no '+', and, since a note may hold no
 * ASCII control character, none of those either.
 */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name !== '' && isNoteSafe(name) && !/[\p{White_Space}+]/u.test(name);
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian. */
export function keyId(name: string, algAndPublicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(utf8(`${name}\n`))
    .update(algAndPublicKey)
    .digest();
  return digest.readUInt32BE(0);
}

const rawPublicKey = (key: KeyObject): Uint8Array =>
  new Uint8Array(key.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length));

const privateKeyFromSeed = (seed: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });

const publicKeyFromRaw = (raw: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });

const malformedKey = (message: string) => new TransparencyLogError('malformed-key', message);

/** A new Ed25519 key pair for the key name `name` (for a log: its origin). */
export function generateKey(name: string): NoteKeyPair {
  if (!isValidKeyName(name)) throw malformedKey(`generateKey: invalid key name ${JSON.stringify(name)}`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = new Uint8Array(
    privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length),
  );
  const pub = concatBytes(Uint8Array.of(ALG_ED25519), rawPublicKey(publicKey));
  const id = hex8(keyId(name, pub));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${toBase64(concatBytes(Uint8Array.of(ALG_ED25519), seed))}`,
    verifierKey: `${name}+${id}+${toBase64(pub)}`,
  };
}

/** Splits `<name>+<8 hex>+<base64>` and checks the pieces, as note.NewVerifier does. */
function parseKeyFields(fields: string, what: string): { name: string; id: number; key: Uint8Array } {
  const first = fields.indexOf('+');
  const second = first < 0 ? -1 : fields.indexOf('+', first + 1);
  if (second < 0) throw malformedKey(`${what}: expected <name>+<key id>+<key>`);
  const name = fields.slice(0, first);
  const idHex = fields.slice(first + 1, second);
  const key = fromBase64(fields.slice(second + 1));
  if (!isValidKeyName(name)) throw malformedKey(`${what}: invalid key name`);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw malformedKey(`${what}: the key id is not 8 hex digits`);
  if (key === undefined || key.length !== 33) {
    throw malformedKey(`${what}: the key is not base64 of 33 bytes`);
  }
  if (key[0] !== ALG_ED25519) throw malformedKey(`${what}: unknown signature algorithm ${key[0]}`);
  return { name, id: Number.parseInt(idHex, 16), key };
}

/** A verifier from a verifier key string; throws malformed-key. */
export function parseVerifierKey(verifierKey: string): NoteVerifier {
  if (typeof verifierKey !== 'string') throw malformedKey('parseVerifierKey: not a string');
  const { name, id, key } = parseKeyFields(verifierKey, 'verifier key');
  if (id !== keyId(name, key)) throw malformedKey('verifier key: the key id does not match the name and key');
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromRaw(key.subarray(1));
  } catch {
    throw malformedKey('verifier key: not an Ed25519 public key');
  }
  return {
    name,
    keyId: id,
    verify: (message, signature) => signature.length === 64 && verify(null, message, publicKey, signature),
  };
}

function parseSigner(signerKey: string): {
  name: string;
  id: number;
  privateKey: KeyObject;
  pub: Uint8Array;
} {
  if (typeof signerKey !== 'string' || !signerKey.startsWith('PRIVATE+KEY+')) {
    throw malformedKey('signer key: expected PRIVATE+KEY+<name>+<key id>+<key>');
  }
  const { name, id, key } = parseKeyFields(signerKey.slice('PRIVATE+KEY+'.length), 'signer key');
  const privateKey = privateKeyFromSeed(key.subarray(1));
  // The key id hashes the public key: derive it from the seed, then check.
  const pub = concatBytes(Uint8Array.of(ALG_ED25519), rawPublicKey(createPublicKey(privateKey)));
  if (id !== keyId(name, pub)) throw malformedKey('signer key: the key id does not match the name and key');
  return { name, id, privateKey, pub };
}

/** A signer from a signer key string (PRIVATE+KEY+…); throws malformed-key. */
export function parseSignerKey(signerKey: string): NoteSigner {
  const { name, id, privateKey } = parseSigner(signerKey);
  return { name, keyId: id, sign: (message) => new Uint8Array(sign(null, message, privateKey)) };
}

/** The verifier key that goes with a signer key. */
export function verifierKeyOf(signerKey: string): string {
  const { name, id, pub } = parseSigner(signerKey);
  return `${name}+${hex8(id)}+${toBase64(pub)}`;
}

const malformedNote = (message: string) => new TransparencyLogError('malformed-note', message);

/** Signs `text` (which must end in a newline) with each signer: the signed note's full text. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    throw malformedNote('signNote: the text must end in a newline');
  }
  if (!isNoteSafe(text)) {
    throw malformedNote('signNote: the text holds a control character or invalid Unicode');
  }
  if (signers.length === 0) throw malformedNote('signNote: no signer');
  const message = utf8(text);
  let lines = '';
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw malformedKey(`signNote: invalid key name ${JSON.stringify(s.name)}`);
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, s.keyId);
    lines += `${SIGNATURE_PREFIX}${s.name} ${toBase64(concatBytes(id, s.sign(message)))}\n`;
  }
  return `${text}\n${lines}`;
}

/** A signed note's text and signature lines, parsed but not verified. */
export interface ReadNote {
  readonly text: string;
  readonly lines: readonly (NoteSignature & { readonly signature: Uint8Array })[];
}

/**
 * Reads a signed note without checking a signature: its text (what was signed) and who claims to
 * have signed it. Throws malformed-note.
 */
export function readNote(note: string | Uint8Array): ReadNote {
  let msg: string;
  if (typeof note === 'string') {
    msg = note;
  } else {
    try {
      msg = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch {
      throw malformedNote('the note is not valid UTF-8');
    }
  }
  if (!isNoteSafe(msg)) throw malformedNote('the note holds a control character or invalid Unicode');

  // The text ends at the last blank line; the signature block follows it.
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw malformedNote('the note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw malformedNote('the signature block must end in a newline');
  const rawLines = block.slice(0, -1).split('\n');
  if (rawLines.length > MAX_SIGNATURES) throw malformedNote(`more than ${MAX_SIGNATURES} signatures`);
  const lines = rawLines.map((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformedNote('a signature line must start with "— "');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    const raw = fromBase64(b64);
    if (!isValidKeyName(name) || raw === undefined || raw.length < 5) {
      throw malformedNote('malformed signature line');
    }
    const id = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    return { name, keyId: id, base64: b64, signature: raw.subarray(4) };
  });
  return { text, lines };
}

/**
 * Opens a signed note: parses it and checks every signature whose key name and ID match a given
 * verifier. Signatures by other keys are ignored (listed as unverified). Throws malformed-note,
 * bad-signature (a trusted key's signature fails: the whole note is refused) or wrong-key (no
 * signature by any given verifier).
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, lines } = readNote(note);
  const known = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const k = `${v.name}+${v.keyId}`;
    if (known.has(k)) throw malformedKey(`two verifiers for key ${v.name}+${hex8(v.keyId)}`);
    known.set(k, v);
  }

  const message = utf8(text);
  const signatures: NoteSignature[] = [];
  const unverifiedSignatures: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const { name, keyId: id, base64: b64, signature } of lines) {
    const sig: NoteSignature = { name, keyId: id, base64: b64 };
    const k = `${name}+${id}`;
    const verifier = known.get(k);
    if (verifier === undefined) {
      unverifiedSignatures.push(sig);
      continue;
    }
    if (seen.has(k)) continue;
    seen.add(k);
    if (!verifier.verify(message, signature)) {
      throw new TransparencyLogError('bad-signature', `invalid signature for key ${name}+${hex8(id)}`);
    }
    signatures.push(sig);
  }
  if (signatures.length === 0) {
    throw new TransparencyLogError('wrong-key', 'the note has no signature by a trusted key');
  }
  return { text, signatures, unverifiedSignatures };
}
