import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Bytes of the server secret: the HMAC-SHA256 key of key digests. */
export const SERVER_SECRET_BYTES = 32;

/**
 * The server secret that keys the API-key digests (keyDigest), read from `path`, or created there
 * on first use.
 *
 * It is created with mode 0600 (its directory, if created, 0700) by writing a temporary file and
 * hard-linking it into place, so processes starting together on one host (the split services)
 * agree on one secret and none reads a half-written file.
 *
 * Throws, naming the path, if the file is not a regular file, is not exactly 32 bytes, or grants
 * any permission to group or others: a secret others can read is no longer one, and guessing
 * which 32 bytes of a longer file were meant could lock out every key.
 */
export function loadOrCreateServerSecret(path: string): Buffer {
  const existing = readServerSecret(path);
  if (existing) return existing;
  createServerSecret(path);
  const created = readServerSecret(path);
  if (!created) throw new Error(`server secret ${path}: missing right after it was created`);
  return created;
}

function readServerSecret(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`server secret ${path}: not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`server secret ${path}: mode ${mode} lets group or others at it; it must be 0600`);
    }
    if (stat.size !== SERVER_SECRET_BYTES) {
      throw new Error(`server secret ${path}: ${stat.size} bytes, expected ${SERVER_SECRET_BYTES}`);
    }
    const secret = Buffer.alloc(SERVER_SECRET_BYTES);
    let read = 0;
    while (read < secret.length) {
      const n = readSync(fd, secret, read, secret.length - read, read);
      if (n === 0) throw new Error(`server secret ${path}: shorter than ${SERVER_SECRET_BYTES} bytes`);
      read += n;
    }
    return secret;
  } finally {
    closeSync(fd);
  }
}

function createServerSecret(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(SERVER_SECRET_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // Unlike rename, link never replaces: if another process got there first, its secret stands.
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  // The new directory entry survives a power loss only once the directory itself is synced.
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
