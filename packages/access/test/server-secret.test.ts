import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateServerSecret } from '../src/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'access-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('loadOrCreateServerSecret', () => {
  it('creates a 32-byte file with mode 0600, in a new directory with mode 0700, and leaves no temporary file', () => {
    const path = join(dir, 'state', 'access', 'server-secret');
    const secret = loadOrCreateServerSecret(path);
    expect(secret).toHaveLength(32);
    expect(readFileSync(path).equals(secret)).toBe(true);
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(join(dir, 'state'))).toBe(0o700);
    expect(modeOf(join(dir, 'state', 'access'))).toBe(0o700);
    expect(readdirSync(join(dir, 'state', 'access'))).toEqual(['server-secret']);
  });

  it('reads the same secret back on the next start', () => {
    const path = join(dir, 'server-secret');
    const first = loadOrCreateServerSecret(path);
    expect(loadOrCreateServerSecret(path).equals(first)).toBe(true);
  });

  it('reads an existing 0600 file as it is', () => {
    const path = join(dir, 'server-secret');
    const bytes = Buffer.alloc(32, 0xa5);
    writeFileSync(path, bytes, { mode: 0o600 });
    expect(loadOrCreateServerSecret(path).equals(bytes)).toBe(true);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a file with mode %o, naming it', (mode) => {
    const path = join(dir, 'server-secret');
    writeFileSync(path, Buffer.alloc(32, 1));
    chmodSync(path, mode);
    expect(() => loadOrCreateServerSecret(path)).toThrow(path);
    expect(() => loadOrCreateServerSecret(path)).toThrow(/must be 0600/);
  });

  it.each([0, 31, 33, 64])('refuses a %i-byte file, naming it', (size) => {
    const path = join(dir, 'server-secret');
    writeFileSync(path, Buffer.alloc(size, 1), { mode: 0o600 });
    expect(() => loadOrCreateServerSecret(path)).toThrow(path);
    expect(() => loadOrCreateServerSecret(path)).toThrow(`${size} bytes, expected 32`);
  });

  it('refuses a directory in its place', () => {
    expect(() => loadOrCreateServerSecret(dir)).toThrow(`server secret ${dir}: not a regular file`);
  });
});
