import { CHECKPOINT_SIGNED, isLogKeyStatement, type RecordedEvent } from '@ledger/domain';
import { keyHandle, type OpenedKeyStatement, openKeyStatement, readNote } from '@ledger/transparency-log';
import { CliFailure, EXIT } from '../failure.ts';

/**
 * How a verifier comes to trust the key of an epoch (the stretch of the log signed by one key):
 * - pinned: the auditor gave it;
 * - rotation: a rotation statement signed by a trusted key names it (either way along the log:
 *   the previous key vouches for the next, and the next, which also signed, for the previous);
 * - loss: the key that replaced a lost one; nothing but the log's own statement vouches for it.
 */
export type Trust = 'pinned' | 'rotation' | 'loss';

export interface Epoch {
  /** `<name>+<key id>` of the key that signs this epoch's checkpoints. */
  readonly key: string;
  /** Its verifier key, when the log or the auditor gives it (a lost key's may be unknown). */
  verifierKey: string | undefined;
  /** The position of the statement that began it (0: the log's start). */
  readonly from: number;
  trust: Trust | undefined;
}

export interface KeyLossReport {
  readonly position: number;
  readonly recordedAt: string;
  readonly actor: string;
  readonly lostKey: string;
  readonly nextKey: string;
  readonly reason: string;
  /** The tree size at which the loss was recorded: the events after the last checkpoint signed by the lost key are vouched for by the next key only. */
  readonly size: number;
}

export interface KeyChain {
  readonly epochs: readonly Epoch[];
  readonly statements: readonly { readonly event: RecordedEvent; readonly statement: OpenedKeyStatement }[];
  readonly losses: readonly KeyLossReport[];
  /** The epoch an event at this position belongs to. */
  epochAt(position: number): Epoch | undefined;
}

const fail = (message: string) => new CliFailure(message, EXIT.failed);

/**
 * The chain of keys the log's key statements describe, each epoch's key trusted from the keys the
 * auditor pinned, or not. Every statement must be signed as its kind requires and continue the
 * chain (replace the key that signed the epoch before it).
 */
export function keyChain(
  log: readonly RecordedEvent[],
  pinned: readonly string[],
  origin?: string,
): KeyChain {
  const statements = log
    .filter((e) => isLogKeyStatement(e.type))
    .map((event) => {
      const where = `the key statement recorded at position ${event.position}`;
      let statement: OpenedKeyStatement;
      try {
        statement = openKeyStatement((event.data as { note: string }).note);
      } catch (error) {
        throw fail(`${where}: ${(error as Error).message}`);
      }
      const data = event.data as { verifierKey: string; previousKey?: string; lostKey?: string };
      const from = statement.kind === 'key-rotation' ? statement.previousKey : statement.lostKey;
      if (data.verifierKey !== statement.nextKey || (data.previousKey ?? data.lostKey) !== from)
        throw fail(`${where}: its fields do not say what its signed note says`);
      if (origin !== undefined && statement.origin !== origin)
        throw fail(
          `${where} is from ${JSON.stringify(statement.origin)}, expected ${JSON.stringify(origin)}`,
        );
      return { event, statement };
    });

  const epochs: Epoch[] = [];
  const first = statements[0]?.statement;
  // Without a statement, the log has one key: the one its first checkpoint says signed it.
  const signer = first ? undefined : claimedSigner(log.find((e) => e.type === CHECKPOINT_SIGNED));
  if (signer) epochs.push({ key: signer, verifierKey: undefined, from: 0, trust: undefined });
  if (first)
    epochs.push(
      first.kind === 'key-rotation'
        ? { key: keyHandle(first.previousKey), verifierKey: first.previousKey, from: 0, trust: undefined }
        : { key: first.lostKey, verifierKey: undefined, from: 0, trust: undefined },
    );
  for (const { event, statement } of statements) {
    const before = epochs.at(-1) as Epoch;
    const replaced = statement.kind === 'key-rotation' ? keyHandle(statement.previousKey) : statement.lostKey;
    if (replaced !== before.key)
      throw fail(
        `the key statement recorded at position ${event.position} replaces ${replaced}, but the key before it is ${before.key}`,
      );
    epochs.push({
      key: keyHandle(statement.nextKey),
      verifierKey: statement.nextKey,
      from: event.position,
      trust: undefined,
    });
  }
  trustFrom(epochs, statements, pinned);
  const losses = statements
    .filter(({ statement }) => statement.kind === 'key-loss')
    .map(({ event, statement }) => ({
      position: event.position,
      recordedAt: event.recordedAt,
      actor: String(event.metadata.actor),
      lostKey: (statement as { lostKey: string }).lostKey,
      nextKey: keyHandle(statement.nextKey),
      reason: statement.reason ?? '',
      size: statement.size,
    }));
  return {
    epochs,
    statements,
    losses,
    epochAt: (position) => epochs.findLast((e) => e.from <= position),
  };
}

/** Marks each epoch's trust: pinned keys first, then along rotations both ways, and forward across losses. */
function trustFrom(
  epochs: Epoch[],
  statements: readonly { readonly statement: OpenedKeyStatement }[],
  pinned: readonly string[],
) {
  const byHandle = new Map(pinned.map((k) => [keyHandle(k), k]));
  for (const epoch of epochs) {
    const key = byHandle.get(epoch.key);
    if (key === undefined || (epoch.verifierKey !== undefined && epoch.verifierKey !== key)) continue;
    epoch.verifierKey = key;
    epoch.trust = 'pinned';
  }
  for (let changed = true; changed; ) {
    changed = false;
    statements.forEach(({ statement }, i) => {
      const before = epochs[i] as Epoch;
      const after = epochs[i + 1] as Epoch;
      if (after.trust === undefined && before.trust !== undefined) {
        after.trust = statement.kind === 'key-rotation' ? 'rotation' : 'loss';
        changed = true;
      }
      if (before.trust === undefined && after.trust !== undefined && statement.kind === 'key-rotation') {
        before.trust = 'rotation';
        changed = true;
      }
    });
  }
}

/** The first key that signed a recorded checkpoint, as its note's signature line names it. */
function claimedSigner(event: RecordedEvent | undefined): string | undefined {
  if (!event) return undefined;
  try {
    const [line] = readNote((event.data as { note: string }).note).lines;
    return line && keyHandle(line);
  } catch {
    return undefined;
  }
}
