/**
 * C2SP signed notes and tlog-checkpoints. The known answers are the example of the Go reference
 * implementation's documentation (golang.org/x/mod/sumdb/note): its signer key, verifier key and
 * signed note, byte for byte (Ed25519 signatures are deterministic).
 */
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../src/bytes.ts';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from '../src/checkpoint.ts';
import { TransparencyLogError, type TransparencyLogErrorCode } from '../src/errors.ts';
import {
  generateKey,
  isValidKeyName,
  keyId,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierKeyOf,
} from '../src/note.ts';
import { leafHash } from '../src/rfc9162.ts';

const GO_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function expectCode(f: () => unknown, code: TransparencyLogErrorCode): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TransparencyLogError);
    expect((e as TransparencyLogError).code).toBe(code);
    return;
  }
  expect.unreachable(`expected a ${code} error`);
}

describe('signed notes: the Go reference example', () => {
  it('signs exactly as golang.org/x/mod/sumdb/note', () => {
    expect(signNote(GO_TEXT, [parseSignerKey(GO_SIGNER)])).toBe(GO_NOTE);
  });

  it('derives the verifier key and key ID of the example', () => {
    expect(verifierKeyOf(GO_SIGNER)).toBe(GO_VERIFIER);
    const v = parseVerifierKey(GO_VERIFIER);
    expect(v.name).toBe('PeterNeumann');
    expect(v.keyId).toBe(0xc74f20a3);
  });

  it('opens the example note', () => {
    const opened = openNote(GO_NOTE, [parseVerifierKey(GO_VERIFIER)]);
    expect(opened.text).toBe(GO_TEXT);
    expect(opened.signatures).toEqual([
      {
        name: 'PeterNeumann',
        keyId: 0xc74f20a3,
        base64:
          'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
      },
    ]);
    // The same as UTF-8 bytes.
    expect(openNote(Buffer.from(GO_NOTE), [parseVerifierKey(GO_VERIFIER)]).text).toBe(GO_TEXT);
  });
});

describe('keys', () => {
  it('generates keys in the Go key formats', () => {
    const { signerKey, verifierKey } = generateKey('ledger.example.gov.vn/indicators');
    expect(signerKey).toMatch(
      /^PRIVATE\+KEY\+ledger\.example\.gov\.vn\/indicators\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/,
    );
    expect(verifierKey).toMatch(/^ledger\.example\.gov\.vn\/indicators\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(verifierKeyOf(signerKey)).toBe(verifierKey);
    // key ID = SHA-256(name || "\n" || 0x01 || public key)[:4]
    // (The base64 key may itself contain '+'.)
    const pub = Buffer.from(verifierKey.split('+').slice(2).join('+'), 'base64');
    expect(pub[0]).toBe(0x01);
    expect(keyId('ledger.example.gov.vn/indicators', pub).toString(16).padStart(8, '0')).toBe(
      verifierKey.split('+')[1],
    );
  });

  it('refuses bad key names', () => {
    for (const name of [
      '',
      'a b',
      'a+b',
      'tab\there',
      'nbsp\u00a0',
      'nel\u0085',
      'ideographic\u3000space',
      'nul\u0000',
    ]) {
      expect(isValidKeyName(name), JSON.stringify(name)).toBe(false);
      expectCode(() => generateKey(name), 'malformed-key');
    }
    expect(isValidKeyName('bà-rịa-vũng-tàu.gov.vn/sổ-cái')).toBe(true);
  });

  it('refuses malformed or inconsistent key strings', () => {
    const [name, id, key] = GO_VERIFIER.split('+') as [string, string, string];
    const wrongId = ((Number.parseInt(id, 16) ^ 1) >>> 0).toString(16).padStart(8, '0');
    for (const bad of [
      '',
      name,
      `${name}+${id}`,
      `${name}+${id.slice(1)}+${key}`,
      `${name}+zzzzzzzz+${key}`,
      `${name}+${wrongId}+${key}`,
      `Other+${id}+${key}`,
      `${name}+${id}+${key.slice(4)}`,
      `${name}+${id}+AnBc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`,
      `${name}+${id}+${key}AAAA`,
    ]) {
      expectCode(() => parseVerifierKey(bad), 'malformed-key');
    }
    expectCode(() => parseSignerKey(GO_VERIFIER), 'malformed-key');
    expectCode(() => parseSignerKey(GO_SIGNER.replace('c74f20a3', 'c74f20a4')), 'malformed-key');
    expectCode(() => parseSignerKey(GO_SIGNER.replace('PeterNeumann', 'PeterNeuman')), 'malformed-key');
  });
});

describe('opening signed notes', () => {
  const a = generateKey('a.example/log');
  const b = generateKey('b.example/witness');
  const va = parseVerifierKey(a.verifierKey);
  const vb = parseVerifierKey(b.verifierKey);
  const text = 'line one\n\nline three, after an empty line\n';
  const both = signNote(text, [parseSignerKey(a.signerKey), parseSignerKey(b.signerKey)]);

  it('keeps empty lines in the text: the last blank line separates the signatures', () => {
    expect(openNote(both, [va]).text).toBe(text);
  });

  it('checks the known key and ignores unknown ones', () => {
    const opened = openNote(both, [va]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['a.example/log']);
    expect(opened.unverifiedSignatures.map((s) => s.name)).toEqual(['b.example/witness']);
    expect(openNote(both, [va, vb]).signatures).toHaveLength(2);
  });

  it('wrong-key: no signature by a given key', () => {
    expectCode(() => openNote(both, []), 'wrong-key');
    const other = parseVerifierKey(generateKey('a.example/log').verifierKey);
    expectCode(() => openNote(both, [other]), 'wrong-key');
  });

  it('bad-signature: the text was changed after signing', () => {
    expectCode(() => openNote(both.replace('line one', 'line 1'), [va]), 'bad-signature');
    // A known key's bad signature rejects the note even if another known key's signature is good.
    const aLine = both.split('\n').find((l) => l.startsWith('— a.example/log')) as string;
    const sig = Buffer.from(aLine.split(' ')[2] as string, 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    const tampered = both.replace(aLine, `— a.example/log ${sig.toString('base64')}`);
    expectCode(() => openNote(tampered, [va, vb]), 'bad-signature');
  });

  it('malformed-note: not a signed note', () => {
    const sigLine = both.slice(both.lastIndexOf('\n\n') + 2);
    const malformed = [
      text, // no signatures
      `${text}${sigLine}`, // no blank line
      both.slice(0, -1), // signature block without its final newline
      both.replace('— ', '- '), // not an em dash
      both.replace('— ', '—'), // no space after it
      `${text}\n— a.example/log\n`, // no signature
      `${text}\n— a.example/log AAAA\n`, // too short
      `${text}\n— a.example/log not*base64\n`,
      both.replace('line one', 'line\tone'), // control character
      both.replace('line one', 'line\rone'),
      `${text}\n${sigLine.split('\n')[0]}\n\n`, // an empty signature line
      `${text}\n${`${sigLine.split('\n')[0]}\n`.repeat(101)}`, // more than 100 signatures
    ];
    for (const note of malformed) expectCode(() => openNote(note, [va, vb]), 'malformed-note');
    // Invalid UTF-8.
    expectCode(
      () => openNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(both)]), [va]),
      'malformed-note',
    );
  });

  it('ignores a repeated signature and accepts up to 100 signature lines', () => {
    const aLine = both.split('\n').find((l) => l.startsWith('— a.example/log')) as string;
    const many = `${both}${`${aLine}\n`.repeat(16)}`;
    expect(openNote(many, [va]).signatures).toHaveLength(1);
  });

  it('refuses to sign what could not be opened', () => {
    const s = parseSignerKey(a.signerKey);
    expectCode(() => signNote('no final newline', [s]), 'malformed-note');
    expectCode(() => signNote('bell\u0007\n', [s]), 'malformed-note');
    expectCode(() => signNote('lone \ud800 surrogate\n', [s]), 'malformed-note');
    expectCode(() => signNote('text\n', []), 'malformed-note');
  });
});

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  const origin = 'ledger.example.gov.vn/indicators';
  const key = generateKey(origin);
  const root = leafHash(Buffer.from('some root'));
  const checkpoint = { origin, size: 1234, root };

  it('formats origin, size and root, each on its own line', () => {
    expect(formatCheckpoint(checkpoint)).toBe(`${origin}\n1234\n${toBase64(root)}\n`);
    expect(formatCheckpoint({ origin, size: 0, root })).toBe(`${origin}\n0\n${toBase64(root)}\n`);
  });

  it('signs and opens', () => {
    const note = signCheckpoint(checkpoint, key.signerKey);
    expect(note.startsWith(`${origin}\n1234\n${toBase64(root)}\n\n— ${origin} `)).toBe(true);
    expect(note.split('\n')).toHaveLength(6);
    const opened = openCheckpoint(note, key.verifierKey);
    expect(opened.origin).toBe(origin);
    expect(opened.size).toBe(1234);
    expect(opened.root).toEqual(root);
    expect(opened.extensions).toEqual([]);
  });

  it('parses the C2SP specification example, and extension lines', () => {
    const example = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const parsed = parseCheckpoint(example);
    expect(parsed.origin).toBe('example.com/behind-the-sofa');
    expect(parsed.size).toBe(20852163);
    expect(toBase64(parsed.root)).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(parseCheckpoint(`${example}ext one\next two\n`).extensions).toEqual(['ext one', 'ext two']);
  });

  it('malformed-checkpoint: not a checkpoint body', () => {
    const r = toBase64(root);
    for (const body of [
      `${origin}\n1234\n`,
      `${origin}\n1234\n${r}`,
      `\n1234\n${r}\n`,
      `${origin}\n01234\n${r}\n`,
      `${origin}\n-1\n${r}\n`,
      `${origin}\n+1\n${r}\n`,
      `${origin}\n1e3\n${r}\n`,
      `${origin}\n 1234\n${r}\n`,
      `${origin}\n99999999999999999999\n${r}\n`,
      `${origin}\n1234\n${r.slice(0, -2)}\n`,
      `${origin}\n1234\n${toBase64(root.subarray(1))}\n`,
      `${origin}\n1234\n${r}\n\n`,
      `${origin}\n1234\n${r}\next\n\n`,
    ]) {
      expectCode(() => parseCheckpoint(body), 'malformed-checkpoint');
    }
    // A signed note whose text is not a checkpoint.
    const note = signNote('just some text\n', [parseSignerKey(key.signerKey)]);
    expectCode(() => openCheckpoint(note, key.verifierKey), 'malformed-checkpoint');
  });

  it('wrong-key: a checkpoint signed by another key, even under the same name', () => {
    const impostor = generateKey(origin);
    expectCode(
      () => openCheckpoint(signCheckpoint(checkpoint, impostor.signerKey), key.verifierKey),
      'wrong-key',
    );
    const otherLog = generateKey('other.example/log');
    const theirs = signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, otherLog.signerKey);
    expectCode(() => openCheckpoint(theirs, key.verifierKey), 'wrong-key');
  });

  it('bad-signature: a signed checkpoint altered', () => {
    const note = signCheckpoint(checkpoint, key.signerKey);
    expectCode(() => openCheckpoint(note.replace('\n1234\n', '\n1235\n'), key.verifierKey), 'bad-signature');
    const otherRoot = toBase64(leafHash(Buffer.from('another root')));
    expectCode(
      () => openCheckpoint(note.replace(toBase64(root), otherRoot), key.verifierKey),
      'bad-signature',
    );
  });

  it('origin-mismatch: from another log than expected', () => {
    const note = signCheckpoint(checkpoint, key.signerKey);
    expectCode(
      () => openCheckpoint(note, key.verifierKey, { origin: 'other.example/log' }),
      'origin-mismatch',
    );
  });

  it('signs only with a key named after the origin, and only valid checkpoints', () => {
    const other = generateKey('other.example/log');
    expectCode(() => signCheckpoint(checkpoint, other.signerKey), 'malformed-checkpoint');
    expectCode(() => signCheckpoint({ ...checkpoint, size: -1 }, key.signerKey), 'malformed-checkpoint');
    expectCode(() => signCheckpoint({ ...checkpoint, size: 1.5 }, key.signerKey), 'malformed-checkpoint');
    expectCode(
      () => signCheckpoint({ ...checkpoint, root: new Uint8Array(31) }, key.signerKey),
      'malformed-checkpoint',
    );
    expectCode(
      () => signCheckpoint({ ...checkpoint, origin: 'has space' }, key.signerKey),
      'malformed-checkpoint',
    );
  });
});
