import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CHECKPOINT_SIGNED, type RecordedEvent } from '@ledger/domain';
import {
  bytesEqual,
  consistencyProofJson,
  createMerkleTree,
  eventLeafHash,
  inclusionProofJson,
  type MerkleTree,
  type OpenedCheckpoint,
  openCheckpoint,
  parseVerifierKey,
  TransparencyLogError,
  toBase64,
  verifyConsistencyProof,
} from '@ledger/transparency-log';
import { CliFailure, EXIT } from '../failure.ts';

export const readCheckpointFile = (file: string) =>
  readFile(file, 'utf8').catch(() => {
    throw new CliFailure(`cannot read the checkpoint ${file}`, EXIT.usage);
  });

/** The verifier key: --key, --key-file, LEDGER_LOG_VERIFIER_KEY, or log-verifier.key beside the store. */
export async function verifierKey(options: {
  key?: string;
  keyFile?: string;
  storePath?: string;
}): Promise<string> {
  if (options.key) return checkedKey(options.key.trim(), '--key');
  const file =
    options.keyFile ??
    (process.env.LEDGER_LOG_VERIFIER_KEY
      ? undefined
      : options.storePath && join(dirname(options.storePath), 'log-verifier.key'));
  if (process.env.LEDGER_LOG_VERIFIER_KEY && !options.keyFile)
    return checkedKey(process.env.LEDGER_LOG_VERIFIER_KEY.trim(), 'LEDGER_LOG_VERIFIER_KEY');
  if (!file) throw new CliFailure('no verifier key: pass --key or --key-file', EXIT.usage);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliFailure(`cannot read the verifier key ${file}: pass --key or --key-file`, EXIT.usage);
  });
  return checkedKey(text.trim(), file);
}

/** A verifier key that is not one is bad input (exit 2), not a failed verification. */
function checkedKey(key: string, where: string): string {
  try {
    parseVerifierKey(key);
  } catch (error) {
    throw new CliFailure(`${where} is not a verifier key: ${(error as Error).message}`, EXIT.usage);
  }
  return key;
}

/** Malformed, the checkpoint an auditor kept is unreadable input (2); one in the log fails the log (1). */
const UNREADABLE = new Set(['malformed-note', 'malformed-checkpoint']);

function open(note: string, key: string, where: string, given = false): OpenedCheckpoint {
  try {
    return openCheckpoint(note, key);
  } catch (error) {
    const unreadable = given && error instanceof TransparencyLogError && UNREADABLE.has(error.code);
    throw new CliFailure(`${where}: ${(error as Error).message}`, unreadable ? EXIT.usage : EXIT.failed);
  }
}

/** Checks that the log's first `size` leaves hash to the checkpoint's root. */
function checkPrefix(tree: MerkleTree, checkpoint: OpenedCheckpoint, where: string) {
  if (checkpoint.size > tree.size)
    throw new CliFailure(
      `${where} covers ${checkpoint.size} events but the log has ${tree.size}: the log was truncated`,
      EXIT.failed,
    );
  const root = tree.root(checkpoint.size);
  if (!bytesEqual(root, checkpoint.root))
    throw new CliFailure(
      `${where}: the log's first ${checkpoint.size} events hash to ${toBase64(root)}, the checkpoint says ${toBase64(checkpoint.root)}: an event was altered, removed, inserted or reordered`,
      EXIT.failed,
    );
}

/**
 * The tree over a log, its leaves in log order. A log out of order, or holding an event that cannot
 * be hashed (one an earlier version accepted: a lone surrogate, say), is a failed verification that
 * names the event and why.
 */
export function treeOf(log: readonly RecordedEvent[]): MerkleTree {
  const hashes: Uint8Array[] = [];
  let last = 0;
  for (const event of log) {
    if (!(event.position > last))
      throw new CliFailure(
        `the log is out of order: the event at position ${event.position} (${event.eventId}) follows position ${last}`,
        EXIT.failed,
      );
    last = event.position;
    try {
      hashes.push(eventLeafHash(event));
    } catch (error) {
      throw new CliFailure(
        `the event at position ${event.position} (${event.type} ${event.eventId}) cannot be hashed: ${(error as Error).message}; no reader can take it (docs/operations.md, "An event no reader can take")`,
        EXIT.failed,
      );
    }
  }
  return createMerkleTree(hashes);
}

/**
 * An RFC 9162 proof from the log: of inclusion of the event at `position` in the tree of `size`
 * leaves, or of consistency between the trees of `from` and `to` leaves.
 */
export function proofFromLog(
  log: readonly RecordedEvent[],
  request: { position?: number; size?: number; from?: number; to?: number },
) {
  const tree = treeOf(log);
  const check = (n: number, what: string) => {
    if (!Number.isSafeInteger(n) || n < 0 || n > tree.size)
      throw new CliFailure(
        `${what} must be a whole number from 0 to ${tree.size}, the log's size`,
        EXIT.usage,
      );
    return n;
  };
  if (request.position !== undefined) {
    const leafIndex = log.findIndex((e) => e.position === request.position);
    if (leafIndex < 0) throw new CliFailure(`no event at position ${request.position}`, EXIT.usage);
    const size = check(request.size ?? tree.size, '--size');
    if (leafIndex >= size) throw new CliFailure(`the event is not in a tree of size ${size}`, EXIT.usage);
    return {
      position: request.position,
      ...inclusionProofJson(tree, leafIndex, size),
      root: toBase64(tree.root(size)),
    };
  }
  if (request.from === undefined)
    throw new CliFailure('proof needs --position, or --from (and --to)', EXIT.usage);
  const to = check(request.to ?? tree.size, '--to');
  const from = check(request.from, '--from');
  if (from > to) throw new CliFailure('--from must not be larger than --to', EXIT.usage);
  return {
    ...consistencyProofJson(tree, from, to),
    oldRoot: toBase64(tree.root(from)),
    newRoot: toBase64(tree.root(to)),
  };
}

export interface Verification {
  readonly size: number;
  readonly root: string;
  /** The checkpoints the log itself records, all verified. */
  readonly recordedCheckpoints: number;
  /** The checkpoint given, if any, which the log extends. */
  readonly checkpoint?: { readonly size: number; readonly root: string };
}

/**
 * Verifies the log: every checkpoint it records must be signed by the key and match the log's
 * prefix of its size; a checkpoint an auditor kept must too, and the log must extend it (a
 * consistency proof from its size to the log's is built and verified).
 */
export function verifyLog(log: readonly RecordedEvent[], key: string, keptCheckpoint?: string): Verification {
  const tree = treeOf(log);
  let recorded = 0;
  for (const e of log) {
    if (e.type !== CHECKPOINT_SIGNED) continue;
    const where = `the checkpoint recorded at position ${e.position}`;
    const checkpoint = open((e.data as { note: string }).note, key, where);
    checkPrefix(tree, checkpoint, where);
    recorded++;
  }
  let kept: Verification['checkpoint'];
  if (keptCheckpoint !== undefined) {
    const checkpoint = open(keptCheckpoint, key, 'the checkpoint given', true);
    checkPrefix(tree, checkpoint, 'the checkpoint given');
    const current = { origin: checkpoint.origin, size: tree.size, root: tree.root() };
    if (!verifyConsistencyProof(consistencyProofJson(tree, checkpoint.size), checkpoint, current))
      throw new CliFailure(
        'the log does not extend the checkpoint given (consistency proof failed)',
        EXIT.failed,
      );
    kept = { size: checkpoint.size, root: toBase64(checkpoint.root) };
  }
  if (recorded === 0 && !kept)
    throw new CliFailure(
      'nothing to verify against: the log records no checkpoint; pass --checkpoint',
      EXIT.failed,
    );
  return {
    size: tree.size,
    root: toBase64(tree.root()),
    recordedCheckpoints: recorded,
    ...(kept ? { checkpoint: kept } : {}),
  };
}
