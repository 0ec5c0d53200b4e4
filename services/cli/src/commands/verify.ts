import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CHECKPOINT_SIGNED, type RecordedEvent, visible } from '@ledger/domain';
import {
  bytesEqual,
  consistencyProofJson,
  cosignatureKey,
  createMerkleTree,
  eventLeafHash,
  inclusionProofJson,
  keyHandle,
  type MerkleTree,
  type OpenedCheckpoint,
  openCheckpoint,
  openCosignatures,
  parseVerifierKey,
  TransparencyLogError,
  toBase64,
  verifyConsistencyProof,
} from '@ledger/transparency-log';
import { CliFailure, EXIT } from '../failure.ts';
import { type Epoch, type KeyChain, type KeyLossReport, keyChain, type Trust } from './key-chain.ts';

export const readCheckpointFile = (file: string) =>
  readFile(file, 'utf8').catch(() => {
    throw new CliFailure(`cannot read the checkpoint ${file}`, EXIT.usage);
  });

/**
 * The verifier keys the auditor pins: every --key, every key in each --key-file (a keyring: one
 * key per line; blank lines and lines starting with # are skipped), else LEDGER_LOG_VERIFIER_KEY
 * (likewise one per line), else log-verifier.key beside a SQLite store.
 */
export async function verifierKeys(options: {
  keys?: readonly string[] | undefined;
  keyFiles?: readonly string[] | undefined;
  /** The SQLite store's file; undefined for a store with no file (KurrentDB). */
  storePath: string | undefined;
  env?: NodeJS.ProcessEnv;
}): Promise<string[]> {
  const keys = (options.keys ?? []).map((k) => checkedKey(k.trim(), '--key'));
  for (const file of options.keyFiles ?? []) keys.push(...(await keyring(file)));
  if (keys.length > 0) return keys;
  const fromEnv = (options.env ?? process.env).LEDGER_LOG_VERIFIER_KEY;
  if (fromEnv) return keyLines(fromEnv).map((k) => checkedKey(k, 'LEDGER_LOG_VERIFIER_KEY'));
  if (!options.storePath)
    throw new CliFailure(
      'no verifier key: pass --key or --key-file, or set LEDGER_LOG_VERIFIER_KEY (a KurrentDB store has no log-verifier.key beside it)',
      EXIT.usage,
    );
  return keyring(join(dirname(options.storePath), 'log-verifier.key'));
}

const keyLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

async function keyring(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliFailure(`cannot read the verifier key ${file}: pass --key or --key-file`, EXIT.usage);
  });
  const keys = keyLines(text).map((k) => checkedKey(k, file));
  if (keys.length === 0) throw new CliFailure(`${file} holds no verifier key`, EXIT.usage);
  return keys;
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

function open(note: string, keys: readonly string[], where: string, given = false): OpenedCheckpoint {
  let failure: unknown;
  for (const key of keys) {
    try {
      return openCheckpoint(note, key);
    } catch (error) {
      failure = error;
      // Another of the keys may have signed it; any other fault is the note's, whichever key.
      if (!(error instanceof TransparencyLogError && error.code === 'wrong-key')) break;
    }
  }
  const unreadable = given && failure instanceof TransparencyLogError && UNREADABLE.has(failure.code);
  throw new CliFailure(`${where}: ${(failure as Error).message}`, unreadable ? EXIT.usage : EXIT.failed);
}

/** Checks that the log's first `size` leaves hash to the checkpoint's root. */
function checkPrefix(tree: MerkleTree, checkpoint: { size: number; root: Uint8Array }, where: string) {
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
  /** The keys that signed the log, in order, each with how it came to be trusted. */
  readonly keys: readonly {
    readonly key: string;
    readonly verifierKey: string | undefined;
    readonly from: number;
    readonly trust: Trust;
    readonly checkpoints: number;
  }[];
  /** The key losses the log records: from each, the chain of signatures does not vouch for the next key. */
  readonly losses: readonly KeyLossReport[];
  /** The checkpoint given, if any, which the log extends. */
  readonly checkpoint?: {
    readonly size: number;
    readonly root: string;
    readonly key: string;
    /** The witnesses required (--witness), each with when it cosigned. */
    readonly cosignatures: readonly { readonly witness: string; readonly at: string }[];
  };
}

/**
 * Verifies the log from the keys the auditor pinned: its key statements must form a chain that
 * reaches a pinned key (rotation.ts's rules, key-chain.ts), every checkpoint it records must be
 * signed by the key of its epoch and match the log's prefix of its size, and so must each
 * statement's tree; a checkpoint the auditor kept must be signed by a trusted key, and the log must
 * extend it (a consistency proof from its size to the log's is built and verified). With `strict`,
 * a recorded key loss fails the verification.
 */
export function verifyLog(
  log: readonly RecordedEvent[],
  pinned: readonly string[],
  keptCheckpoint?: string,
  options: { strict?: boolean; witnesses?: readonly string[] } = {},
): Verification {
  const tree = treeOf(log);
  const chain = keyChain(log, pinned);
  const counts = new Map<Epoch, number>();
  for (const e of log) {
    if (e.type !== CHECKPOINT_SIGNED) continue;
    const where = `the checkpoint recorded at position ${e.position}`;
    const epoch = chain.epochAt(e.position) as Epoch;
    if (epoch.trust === undefined || epoch.verifierKey === undefined)
      throw untrusted(chain, epoch, pinned, where);
    const checkpoint = open((e.data as { note: string }).note, [epoch.verifierKey], where);
    checkPrefix(tree, checkpoint, where);
    counts.set(epoch, (counts.get(epoch) ?? 0) + 1);
  }
  for (const { event, statement } of chain.statements)
    checkPrefix(tree, statement, `the key statement recorded at position ${event.position}`);
  if (options.strict && chain.losses.length > 0)
    throw new CliFailure(
      `the log records the loss of key ${chain.losses[0]?.lostKey} at position ${chain.losses[0]?.position}, and --strict refuses a key that no signature chain vouches for`,
      EXIT.failed,
    );
  const trusted = chain.epochs.flatMap((e) => (e.trust && e.verifierKey ? [e.verifierKey] : []));
  let kept: Verification['checkpoint'];
  if (keptCheckpoint !== undefined) {
    const checkpoint = open(
      keptCheckpoint,
      chain.epochs.length ? trusted : pinned,
      'the checkpoint given',
      true,
    );
    checkPrefix(tree, checkpoint, 'the checkpoint given');
    const current = { origin: checkpoint.origin, size: tree.size, root: tree.root() };
    if (!verifyConsistencyProof(consistencyProofJson(tree, checkpoint.size), checkpoint, current))
      throw new CliFailure(
        'the log does not extend the checkpoint given (consistency proof failed)',
        EXIT.failed,
      );
    const [signature] = checkpoint.signatures;
    kept = {
      size: checkpoint.size,
      root: toBase64(checkpoint.root),
      key: signature ? keyHandle(signature) : '',
      cosignatures: cosignedBy(keptCheckpoint, options.witnesses ?? []),
    };
  }
  if (options.witnesses?.length && keptCheckpoint === undefined)
    throw new CliFailure(
      '--witness checks the cosignatures of the checkpoint given: pass --checkpoint',
      EXIT.usage,
    );
  const recorded = [...counts.values()].reduce((a, b) => a + b, 0);
  if (recorded === 0 && chain.statements.length === 0 && !kept)
    throw new CliFailure(
      'nothing to verify against: the log records no checkpoint; pass --checkpoint',
      EXIT.failed,
    );
  return {
    size: tree.size,
    root: toBase64(tree.root()),
    recordedCheckpoints: recorded,
    keys: chain.epochs.map((e) => ({
      key: e.key,
      verifierKey: e.verifierKey,
      from: e.from,
      trust: e.trust as Trust,
      checkpoints: counts.get(e) ?? 0,
    })),
    losses: chain.losses,
    ...(kept ? { checkpoint: kept } : {}),
  };
}

/** Why an epoch's checkpoints cannot be trusted: no pinned key reaches its key. */
function untrusted(chain: KeyChain, epoch: Epoch, pinned: readonly string[], where: string): CliFailure {
  const given = pinned.map(keyHandle).join(', ');
  const loss = chain.losses.find((l) => l.position > epoch.from);
  return new CliFailure(
    `${where} is signed by ${epoch.key}, and no key you pinned (${given}) vouches for it${
      loss
        ? `: the chain breaks at the loss of ${loss.lostKey} recorded at position ${loss.position}; pin ${epoch.key} too`
        : chain.statements.length
          ? ': no rotation the log records leads from a pinned key to it'
          : ''
    }`,
    EXIT.failed,
  );
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const TRUST: Record<Trust, string> = { pinned: 'pinned', rotation: 'by rotation', loss: 'after a key loss' };

/** A verification in words: what was checked, the keys and how each is trusted, and any loss. */
export function verificationLines(result: Verification): string[] {
  const lines = [
    `verified: ${result.size} events; ${counted(result.recordedCheckpoints, 'checkpoint')} recorded in the log ${result.recordedCheckpoints === 1 ? 'matches' : 'match'} it${result.checkpoint ? `; it extends the checkpoint given (size ${result.checkpoint.size})` : ''}`,
  ];
  if (result.keys.length > 1)
    lines.push(
      `keys: ${result.keys
        .map(
          (k) =>
            `${visible(k.key)} ${TRUST[k.trust]}${k.from ? ` at position ${k.from}` : ''} (${counted(k.checkpoints, 'checkpoint')})`,
        )
        .join(', ')}`,
    );
  for (const c of result.checkpoint?.cosignatures ?? [])
    lines.push(`cosigned by the witness ${visible(c.witness)} at ${c.at}`);
  for (const loss of result.losses)
    lines.push(
      `key loss at position ${loss.position} (${loss.recordedAt}, by ${visible(loss.actor)}): ${visible(loss.lostKey)} replaced by ${visible(loss.nextKey)}: ${visible(loss.reason)}`,
    );
  return lines;
}

/**
 * The cosignatures of the witnesses required (C2SP tlog-cosignature): each must have cosigned the
 * checkpoint, or the verification fails. A witness key that is not one is bad input.
 */
function cosignedBy(note: string, witnesses: readonly string[]) {
  const handles = witnesses.map((key) => {
    try {
      // <name>+<key id> of its cosignature form: what its signature line names.
      return cosignatureKey(key).split('+').slice(0, 2).join('+');
    } catch (error) {
      throw new CliFailure(`--witness ${key} is not a witness key: ${(error as Error).message}`, EXIT.usage);
    }
  });
  let found: ReturnType<typeof openCosignatures>;
  try {
    found = openCosignatures(note, witnesses);
  } catch (error) {
    throw new CliFailure(`the checkpoint given: ${(error as Error).message}`, EXIT.failed);
  }
  const missing = handles.filter((h) => !found.some((f) => f.witness === h));
  if (missing.length > 0)
    throw new CliFailure(
      `the checkpoint given carries no cosignature by the witness ${missing.join(', ')}`,
      EXIT.failed,
    );
  return found.map((f) => ({ witness: f.witness, at: new Date(f.time * 1000).toISOString() }));
}
