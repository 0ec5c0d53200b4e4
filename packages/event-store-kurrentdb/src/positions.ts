import type { Position } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '@ledger/domain';

/**
 * Ledger positions and KurrentDB `$all` positions.
 *
 * The port's position is the ledger's own dense sequence (1, 2, 3, …), assigned from the clock
 * stream in each append and stored in every event's metadata. `$all` positions ({commit, prepare},
 * 64-bit log offsets) are used only to know where to start reading; the order handed out is always
 * the ledger sequence, which is provably commit order (see README: every append is serialized on the
 * clock stream's expected revision).
 */

/** `$all` order: by commit position, then prepare position. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

interface IndexEntry {
  /** The clock event's lastPosition: the last ledger position of its append. */
  readonly last: number;
  /** The clock event's own `$all` position. */
  readonly at: Position;
}

/**
 * A memo of clock events: "every ledger event with a position greater than `last` lies after `at` in
 * `$all`". That holds because appends are serialized on the clock stream, so an append that assigns
 * positions after `last` commits after the append whose clock event sits at `at`. Bounded: keeps the
 * newest entries.
 */
export class ClockIndex {
  private readonly entries: IndexEntry[] = [];
  private readonly capacity: number;

  constructor(capacity = 8192) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.length;
  }

  add(last: number, at: Position): void {
    const i = this.upperBound(last);
    if (i > 0 && this.entries[i - 1]?.last === last) return;
    this.entries.splice(i, 0, { last, at });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity / 2);
  }

  /** The entry with the greatest `last` ≤ `position`, if any. */
  floor(position: number): IndexEntry | undefined {
    const i = this.upperBound(position);
    return i === 0 ? undefined : this.entries[i - 1];
  }

  /** Index of the first entry whose `last` is greater than `position`. */
  private upperBound(position: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as IndexEntry).last <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Puts ledger events back into ledger order as they come off `$all`, from the position after
 * `after`. Within one atomic append KurrentDB may lay the events out stream by stream rather than in
 * call order; positions are dense, so the buffer knows exactly which one it still waits for.
 */
export class Sequencer {
  private expected: number;
  private readonly waiting = new Map<number, RecordedEvent>();
  readonly ready: RecordedEvent[] = [];

  constructor(after: number) {
    this.expected = after + 1;
  }

  /** The next position the sequence waits for. */
  get next(): number {
    return this.expected;
  }

  /** True when events past a missing position are held back. */
  get hasGap(): boolean {
    return this.waiting.size > 0;
  }

  offer(event: RecordedEvent): void {
    if (event.position < this.expected) return;
    this.waiting.set(event.position, event);
    for (let e = this.waiting.get(this.expected); e !== undefined; e = this.waiting.get(this.expected)) {
      this.ready.push(e);
      this.waiting.delete(this.expected);
      this.expected++;
    }
  }
}
