import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const CLI = new URL('../src/main.ts', import.meta.url).pathname;

/** This environment without the variables that would point the CLI elsewhere than a test's directory. */
const {
  LEDGER_STORE: _,
  LEDGER_CREDENTIALS: __,
  LEDGER_KEY_SECRET_FILE: ___,
  LEDGER_LOG_VERIFIER_KEY: ____,
  ...env
} = process.env;

/** Runs `pnpm ledger …` as its own process on the ledger of `dataDir`: its exit code and output. */
export const runCli = (dataDir: string, ...args: string[]) =>
  runCliWith({ LEDGER_DATA_DIR: dataDir }, ...args);

/** Runs `pnpm ledger …` as its own process with these variables (LEDGER_STORE, say) set. */
export async function runCliWith(vars: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', CLI, ...args],
      { env: { ...env, ...vars } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
