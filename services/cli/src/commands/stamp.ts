import { type LedgerIndex, lastAtOrBefore, parseAsOf, type RecordedEvent } from '@ledger/domain';
import { toBase64 } from '@ledger/transparency-log';
import { treeOf } from './verify.ts';

/** What an answer was computed from, as the read API says it: so an exported ranking ties to a checkpoint. */
export interface Stamp {
  /** The instant asked for, or the instant it was computed at. */
  readonly asOf: string;
  /** The last log position it reads, and when that event was recorded. */
  readonly position: number;
  readonly recordedAt: string | null;
  /** The transparency log's tree over the events up to `position`: compare with a signed checkpoint. */
  readonly log: { readonly size: number; readonly root: string };
}

/** A stamper over one log: the tree is hashed once, however many answers are stamped. */
export function stamper(log: readonly RecordedEvent[], index: LedgerIndex, now = Date.now()) {
  let tree: ReturnType<typeof treeOf> | undefined;
  return (position: number, asOf: string | undefined): Stamp => {
    tree ??= treeOf(log);
    const size = lastAtOrBefore(index.positions, position) + 1;
    const ms = size > 0 ? index.recordedAtMs.at(size - 1) : undefined;
    return {
      asOf: new Date(asOf === undefined ? now : (parseAsOf(asOf) ?? now)).toISOString(),
      position,
      recordedAt: ms === undefined ? null : new Date(ms).toISOString(),
      log: { size, root: toBase64(tree.root(size)) },
    };
  };
}
