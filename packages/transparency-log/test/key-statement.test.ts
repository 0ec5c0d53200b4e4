import { describe, expect, it } from 'vitest';
import {
  formatKeyStatement,
  generateKey,
  keyHandle,
  openCheckpoint,
  openKeyStatement,
  parseCheckpoint,
  parseKeyStatement,
  parseSignerKey,
  readNote,
  signKeyLoss,
  signKeyRotation,
  signNote,
  TransparencyLogError,
} from '../src/index.ts';

const origin = 'ledger.example.gov.vn/indicators';
const tree = { origin, size: 17, root: new Uint8Array(32).fill(7) };
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof TransparencyLogError ? error.code : String(error);
  }
  return 'accepted';
};

describe('key statements', () => {
  const old = generateKey(origin);
  const next = generateKey(origin);

  it('a rotation is signed by the previous key and the next, and names both', () => {
    const note = signKeyRotation(tree, old.signerKey, next.signerKey, 'yearly rotation');
    const opened = openKeyStatement(note);
    expect(opened).toMatchObject({
      kind: 'key-rotation',
      origin,
      size: 17,
      previousKey: old.verifierKey,
      nextKey: next.verifierKey,
      reason: 'yearly rotation',
    });
    expect(opened.signedBy).toEqual([keyHandle(old.verifierKey), keyHandle(next.verifierKey)]);
    expect(readNote(note).text).toBe(
      `${origin}\nkey-rotation\n17\n${Buffer.from(tree.root).toString('base64')}\nprevious ${old.verifierKey}\nnext ${next.verifierKey}\nreason yearly rotation\n`,
    );
  });

  it('a rotation that lacks either signature, or whose text was altered, is refused', () => {
    const note = signKeyRotation(tree, old.signerKey, next.signerKey);
    const text = readNote(note).text;
    expect(code(() => openKeyStatement(signNote(text, [parseSignerKey(old.signerKey)])))).toBe('wrong-key');
    expect(code(() => openKeyStatement(signNote(text, [parseSignerKey(next.signerKey)])))).toBe('wrong-key');
    expect(code(() => openKeyStatement(note.replace('\n17\n', '\n18\n')))).toBe('bad-signature');
    const intruder = generateKey(origin);
    const forged = signNote(text.replace(next.verifierKey, intruder.verifierKey), [
      parseSignerKey(intruder.signerKey),
    ]);
    expect(code(() => openKeyStatement(forged))).toBe('wrong-key');
  });

  it('a loss is signed by the next key only, and must say why', () => {
    const lost = keyHandle(old.verifierKey);
    const note = signKeyLoss(tree, lost, next.signerKey, 'backup restored without the key');
    expect(openKeyStatement(note)).toMatchObject({
      kind: 'key-loss',
      lostKey: lost,
      nextKey: next.verifierKey,
      reason: 'backup restored without the key',
      signedBy: [keyHandle(next.verifierKey)],
    });
    expect(code(() => signKeyLoss(tree, lost, next.signerKey, ''))).toBe('malformed-statement');
    expect(code(() => signKeyLoss(tree, lost, next.signerKey, 'two\nlines'))).toBe('malformed-statement');
    expect(code(() => signKeyLoss(tree, 'not a handle', next.signerKey, 'why'))).toBe('malformed-statement');
  });

  it('is never read as a checkpoint, nor a checkpoint as a statement', () => {
    const note = signKeyRotation(tree, old.signerKey, next.signerKey);
    expect(code(() => parseCheckpoint(readNote(note).text))).toBe('malformed-checkpoint');
    expect(code(() => openCheckpoint(note, old.verifierKey))).toBe('malformed-checkpoint');
    expect(
      code(() => parseKeyStatement(`${origin}\n17\n${Buffer.from(tree.root).toString('base64')}\n`)),
    ).toBe('malformed-statement');
  });

  it('has one written form: extra spaces, lines or another key name are refused', () => {
    const text = formatKeyStatement({
      kind: 'key-rotation',
      ...tree,
      previousKey: old.verifierKey,
      nextKey: next.verifierKey,
    });
    expect(parseKeyStatement(text).kind).toBe('key-rotation');
    expect(code(() => parseKeyStatement(text.replace('next ', 'next  ')))).toBe('malformed-key');
    expect(code(() => parseKeyStatement(`${text}extra\n`))).toBe('malformed-statement');
    expect(code(() => parseKeyStatement(text.replace('\n17\n', '\n017\n')))).toBe('malformed-statement');
    const other = generateKey('other.example/log');
    expect(
      code(() =>
        formatKeyStatement({
          kind: 'key-rotation',
          ...tree,
          previousKey: old.verifierKey,
          nextKey: other.verifierKey,
        }),
      ),
    ).toBe('malformed-statement');
  });
});
