import { run } from '../src/main.ts';
import type { CliIo } from '../src/run.ts';

/** A ledger as the CLI finds it: its environment (LEDGER_STORE…) and, for a stand-in, how to open it. */
export type Ledger = Pick<CliIo, 'env'> & Partial<Pick<CliIo, 'openStore'>>;

/** Runs `ledger …` in this process on `ledger`: its exit code and what it wrote, as runCli gives them. */
export async function runInProcess(ledger: Ledger, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    ...ledger,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
