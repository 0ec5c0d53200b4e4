/** A failure the CLI reports as one line and an exit code that scripts can trust. */
export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

/** Exit codes: 0 verified or done; 1 verification failed (a difference, a tampered log); 2 bad usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
