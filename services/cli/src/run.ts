import { Rejection, visible, visibleJson } from '@ledger/domain';
import { toProblem } from '@ledger/http';
import { openAdapter, type StoreOpener } from './event-log.ts';
import { CliFailure, EXIT } from './failure.ts';

/** Where the CLI writes: the process's stdout and stderr, or a test's buffers. */
export interface Output {
  write(text: string): unknown;
}

/**
 * What a command line runs against. main.ts's entry gives the process's own; a test running the
 * CLI in-process gives its environment, buffers, and a store over a stand-in of its choosing.
 */
export interface CliIo {
  /** LEDGER_STORE, LEDGER_DATA_DIR and the rest of the CLI's settings. */
  readonly env: NodeJS.ProcessEnv;
  /** Opens the store LEDGER_STORE names; by default as the services do. */
  readonly openStore: StoreOpener;
  readonly stdout: Output;
  readonly stderr: Output;
}

/** The process's own, for whatever a caller does not give. */
export const cliIo = (given: Partial<CliIo> = {}): CliIo => ({
  env: given.env ?? process.env,
  openStore: given.openStore ?? openAdapter,
  stdout: given.stdout ?? process.stdout,
  stderr: given.stderr ?? process.stderr,
});

/**
 * Printing to `stdout`. Whatever in a line comes from the log goes through `visible` first: nothing
 * reaches the terminal raw. JSON has the same characters written as JSON escapes.
 */
export const printers = (stdout: Output) => ({
  print: (text: string) => stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  printJson: (value: unknown) => stdout.write(`${visibleJson(JSON.stringify(value, null, 2))}\n`),
});

/**
 * The exit code of a command: what it returns, or, when it fails, one line on `stderr` and the
 * code scripts rely on (a CliFailure's own; a refusal or anything unforeseen 1).
 */
export async function exitCodeOf(command: () => Promise<number>, stderr: Output): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof CliFailure) {
      stderr.write(`ledger: ${visible(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof Rejection) {
      const p = toProblem(error);
      const detail = p.errors?.map((e) => `${e.path}: ${e.message}`).join('; ') ?? p.detail;
      stderr.write(`ledger: refused (${p.status}): ${visible(detail)}\n`);
      return EXIT.failed;
    }
    stderr.write(`ledger: ${visible((error as Error).message)}\n`);
    return EXIT.failed;
  }
}
