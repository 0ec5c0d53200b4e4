import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The `ledger` CLI's entry point. The projection runs it as a child process, and never imports it:
 * the replay that checks a served ranking must share no code in memory with the server it checks.
 */
const CLI_MAIN = fileURLToPath(import.meta.resolve('@ledger/cli/main'));

export interface ReplayVerification {
  readonly verified: boolean;
  readonly position?: number;
  readonly divergence?: unknown;
  readonly error?: string;
}

/**
 * Runs `ledger replay --against <url>` in a separate process: the ranking is rebuilt from the raw
 * log by code that shares no memory with the server it checks.
 */
export async function verifyReplayInSeparateProcess(options: {
  /** The store, as the child's LEDGER_STORE: `sqlite:<path>` or a KurrentDB connection string. */
  store: string;
  url: string;
  methodologyId: string;
  period: string;
  asOf?: string;
  /** The caller's Authorization header, whose bearer credential the child reads with (LEDGER_READS=authenticated). */
  authorization?: string | undefined;
}): Promise<ReplayVerification> {
  const credential = /^Bearer\s+(\S+)$/i.exec(options.authorization ?? '')?.[1];
  const args = [
    '--experimental-strip-types',
    '--disable-warning=ExperimentalWarning',
    CLI_MAIN,
    'replay',
    '--methodology',
    options.methodologyId,
    '--period',
    options.period,
    '--against',
    options.url,
    '--json',
    ...(options.asOf ? ['--as-of', options.asOf] : []),
  ];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      env: { ...process.env, LEDGER_STORE: options.store, LEDGER_CREDENTIAL: credential ?? '' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as ReplayVerification;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    if (e.stdout?.trim().startsWith('{')) return JSON.parse(e.stdout) as ReplayVerification;
    return { verified: false, error: (e.stderr ?? e.message).trim() };
  }
}
