import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isLogKeyStatement, type RecordedEvent } from '@ledger/domain';
import type { Logger } from '@ledger/http';
import { generateKey, keyHandle, readNote, verifierKeyOf } from '@ledger/transparency-log';

export interface LogKeys {
  readonly signerKey: string;
  readonly verifierKey: string;
}

/**
 * The key files in the key directory (LEDGER_LOG_KEY_DIR, default the state directory): the signer key (secret, 0600), the verifier key beside it,
 * and, while a rotation or a loss is being recorded, the next signer key. The next key is written
 * before the statement that names it is appended, and becomes the signer key after: a crash
 * between the two leaves both, and the log says which one it expects.
 */
export const keyFiles = (keyDir: string) => ({
  signer: join(keyDir, 'log-signing.key'),
  next: join(keyDir, 'log-signing.next.key'),
  verifier: join(keyDir, 'log-verifier.key'),
});

/** The signer refuses to start: the key the log expects is not here. */
export class LogKeyMissing extends Error {
  override readonly name = 'LogKeyMissing';
}

const readKey = async (path: string) => (await readFile(path, 'utf8').catch(() => '')).trim() || undefined;

const writeSecret = async (path: string, key: string) => {
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
};

const keysOf = (signerKey: string): LogKeys => ({ signerKey, verifierKey: verifierKeyOf(signerKey) });

/** The key the log expects to sign next (`<name>+<id>`): the one its latest checkpoint or key statement names. */
export function expectedSigner(tail: RecordedEvent | undefined): string | undefined {
  if (!tail) return undefined;
  const data = tail.data as { note: string; verifierKey?: string };
  if (isLogKeyStatement(tail.type)) return keyHandle(data.verifierKey as string);
  const [signature] = readNote(data.note).lines;
  return signature && keyHandle(signature);
}

/** Writes the next signer key, before the statement that names it is appended. */
export async function prepareNextKey(keyDir: string, origin: string): Promise<LogKeys> {
  const { signerKey } = generateKey(origin);
  await writeSecret(keyFiles(keyDir).next, signerKey);
  return keysOf(signerKey);
}

/** Makes the next key the signer key, once the log has recorded the statement that names it. */
export async function promoteNextKey(keyDir: string, keys: LogKeys): Promise<void> {
  const files = keyFiles(keyDir);
  await rename(files.next, files.signer);
  await writeFile(files.verifier, `${keys.verifierKey}\n`);
}

export interface ResolvedKeys {
  readonly keys: LogKeys;
  /** Set when the key the log expects was declared lost: the loss to record before anything is signed. */
  readonly loss?: { readonly lostKey: string; readonly reason: string };
}

/**
 * The signing key, as the log decides: on a log without checkpoints, the key in the state directory
 * or a new one; otherwise the key the log expects (`expectedSigner`), from `log-signing.key` or from
 * a next key whose statement the log recorded. A key that is missing or another is never replaced
 * silently, since nothing signed by a new key would verify: the signer refuses to start, unless
 * `keyLoss` names exactly the key the log expects, and then a new key is prepared and the loss is
 * returned for the checkpointer to record.
 */
export async function resolveLogKeys(deps: {
  keyDir: string;
  origin: string;
  tail: RecordedEvent | undefined;
  keyLoss?: { readonly lostKey: string; readonly reason: string } | undefined;
  logger: Logger;
}): Promise<ResolvedKeys> {
  const { keyDir, origin, logger } = deps;
  const files = keyFiles(keyDir);
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const [current, next] = [await readKey(files.signer), await readKey(files.next)];
  const expected = expectedSigner(deps.tail);
  const matches = (key: string | undefined) =>
    key !== undefined && keyHandle(verifierKeyOf(key)) === expected;
  let keys: LogKeys;
  if (expected === undefined && current) keys = keysOf(current);
  else if (expected === undefined) {
    keys = keysOf(generateKey(origin).signerKey);
    await writeSecret(files.signer, keys.signerKey);
    logger.info({ path: files.signer }, 'generated the log signing key');
  } else if (matches(current)) keys = keysOf(current as string);
  else if (matches(next)) {
    keys = keysOf(next as string);
    await promoteNextKey(keyDir, keys);
    logger.info({ key: expected }, 'completed a key change the log had recorded');
  } else if (deps.keyLoss?.lostKey === expected) {
    if (current) await rename(files.signer, `${files.signer}.replaced-${Date.now()}`);
    logger.warn(
      { lostKey: expected, reason: deps.keyLoss.reason },
      'recording the loss of the log signing key',
    );
    return { keys: await prepareNextKey(keyDir, origin), loss: deps.keyLoss };
  } else throw new LogKeyMissing(missingKeyMessage(files.signer, expected, current));
  if (next && !matches(next)) await rm(files.next, { force: true });
  if (!keys.verifierKey.startsWith(`${origin}+`))
    throw new Error(
      `${files.signer} holds a key for ${keys.verifierKey.split('+')[0]}, not for the log origin ${origin}`,
    );
  await writeFile(files.verifier, `${keys.verifierKey}\n`);
  return { keys };
}

function missingKeyMessage(path: string, expected: string, current: string | undefined): string {
  const found = current ? `holds the key ${keyHandle(verifierKeyOf(current))}` : 'is missing';
  return [
    `the log's checkpoints are signed by the key ${expected}, and ${path} ${found}.`,
    'A key is never replaced silently: nothing a new key signs would verify against the key auditors pinned.',
    `Restore log-signing.key from a backup (docs/deploy.md, "Backups"), then rotate with POST /v1/ops/log/key-rotation if it may have leaked;`,
    `or, if it is lost for good, start once with LEDGER_LOG_KEY_LOST=${expected} and LEDGER_LOG_KEY_LOSS_REASON="<why>":`,
    'the log then records the loss, and ledger verify reports it (docs/audit.md, "Keys and their rotation").',
  ].join(' ');
}
