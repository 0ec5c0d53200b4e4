/**
 * The reference verifier of interop/verify-go, built once per run: what the interop tests hand our
 * checkpoints and proofs to. Needs Go (≥ 1.24); without it, building FAILS, never skips.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConsistencyProofJson, InclusionProofJson } from '../src/proofs.ts';

const SOURCE_DIR = fileURLToPath(new URL('../interop/verify-go/', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../.cache/', import.meta.url));
const BINARY = `${CACHE_DIR}verify-go${process.platform === 'win32' ? '.exe' : ''}`;

export interface VerifierInput {
  verifierKey: string;
  origin?: string;
  checkpoints: string[];
  inclusion: (InclusionProofJson & { leafData?: string })[];
  consistency: ConsistencyProofJson[];
  leafHashes?: string[];
  /** Witnesses each of which must have cosigned every checkpoint (cosignature/v1). */
  witnessKeys?: string[];
}

export interface VerifierRun {
  status: number | null;
  report: {
    ok: boolean;
    checkpoints: string[];
    inclusionVerified: number;
    consistencyVerified: number;
    rootsRebuiltFromLeafHashes: number;
    cosignaturesVerified: number;
    failures: string[];
  };
  stderr: string;
}

/** How long the last build took (ms). */
export let buildMs = 0;

export function buildVerifier(): void {
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(
      'The interop test needs Go on the PATH (Go ≥ 1.24: https://go.dev/dl/), to build the reference ' +
        `verifier in ${SOURCE_DIR}. It does not skip without it. (${version.error?.message ?? version.stderr})`,
    );
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const started = Date.now();
  const build = spawnSync('go', ['build', '-o', BINARY, '.'], {
    cwd: SOURCE_DIR,
    encoding: 'utf8',
    timeout: 280_000,
    env: { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' },
  });
  buildMs = Date.now() - started;
  if (build.error || build.status !== 0) {
    throw new Error(
      `go build of the reference verifier failed:\n${build.error?.message ?? ''}${build.stderr}`,
    );
  }
}

export function runVerifier(input: VerifierInput): VerifierRun {
  const run = spawnSync(BINARY, [], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  if (run.status === 2) throw new Error(`the verifier could not read its input: ${run.stderr}`);
  return { status: run.status, report: JSON.parse(run.stdout) as VerifierRun['report'], stderr: run.stderr };
}

/** The reference implementation as a witness: the note, opened with the log's key, cosigned by the witness's signer key. */
export function cosignWithGo(note: string, verifierKey: string, signerKey: string): string {
  const run = spawnSync(BINARY, ['-cosign'], {
    input: JSON.stringify({ note, verifierKey, signerKey }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`the Go witness refused: ${run.stderr}`);
  return run.stdout;
}
