import {
  type FactVersion,
  foldRecorded,
  headPosition,
  type LedgerIndex,
  type RecordedEvent,
  SubmissionRetracted,
  ValueCorrected,
  ValueSubmitted,
} from '@ledger/domain';
import { eventLeafHash, type MerkleTree } from '@ledger/transparency-log';
import type { LeafHashesAhead } from './leaf-hashes.ts';
import type { LogEntry, ReadModelDb } from './read-model-db.ts';

/**
 * One read model: the index, the tree and the file they are persisted in. A projection serves one
 * generation and builds another beside it when it rebuilds, so the two must not share any of these.
 */
export interface Generation {
  readonly index: LedgerIndex;
  /** The RFC 9162 Merkle tree over the log: leaf i is the i-th event (index.positions.at(i)). */
  readonly tree: MerkleTree;
  readonly db: ReadModelDb;
}

/** The events that make a value's versions: who wrote each is kept, for a principal's submissions. */
export const VALUE_EVENTS: ReadonlySet<string> = new Set([
  ValueSubmitted.type,
  ValueCorrected.type,
  SubmissionRetracted.type,
]);

/** The event a batch stopped at, and why. */
export interface ApplyFailure {
  readonly position: number;
  readonly eventId: string;
  readonly message: string;
}

/** An event of the log the projection cannot apply: it stops there (see createProjection). */
export class EventNotApplied extends Error {
  readonly failure: ApplyFailure;
  constructor(failure: ApplyFailure, cause: unknown) {
    super(failure.message, { cause });
    this.name = 'EventNotApplied';
    this.failure = failure;
  }
}

/**
 * Applies events in order to a generation and commits them with the checkpoint; events already
 * applied (redeliveries) are skipped. Throws, after committing what came before it, at an event
 * that cannot be applied: an EventNotApplied that names it. `crash` is called at the named points
 * of a live batch, for tests that kill the process there; `ahead` has the leaf hashes computed on
 * another thread.
 */
export function applyBatch(
  gen: Generation,
  events: readonly RecordedEvent[],
  options: { crash?: (point: 'mid-batch' | 'after-effect') => void; ahead?: LeafHashesAhead } = {},
): void {
  const { crash, ahead } = options;
  const versions: FactVersion[] = [];
  const fold = { onVersion: (version: FactVersion) => void versions.push(version) };
  const log: LogEntry[] = [];
  let failed: EventNotApplied | undefined;
  const fresh = events.filter((e) => e.position > headPosition(gen.index));
  for (const [i, event] of fresh.entries()) {
    if (crash && i === Math.floor(fresh.length / 2) && i > 0) crash('mid-batch');
    try {
      foldRecorded(gen.index, event, fold);
      const leafHash = ahead?.take(event.position) ?? eventLeafHash(event);
      const leaf = gen.tree.append(leafHash);
      log.push({
        leaf,
        position: event.position,
        recordedAtMs: Date.parse(event.recordedAt),
        leafHash,
        ...(VALUE_EVENTS.has(event.type) ? { writer: event.metadata.actor } : {}),
      });
    } catch (e) {
      failed = new EventNotApplied(
        { position: event.position, eventId: event.eventId, message: (e as Error).message },
        e,
      );
      break;
    }
  }
  if (log.length > 0)
    gen.db.commit(versions, log, headPosition(gen.index), crash ? () => crash('after-effect') : undefined);
  if (failed) throw failed;
}
