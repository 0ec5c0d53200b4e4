/** A write waiting in the queue, and how to answer whoever is waiting for it. */
export interface Pending<W, R> {
  readonly write: W;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitQueue<W, R> {
  enqueue(write: W): Promise<R>;
}

/**
 * Runs the writes of this process one group at a time, in arrival order. Writes that arrive while
 * a group is being recorded (or in the same turn of the event loop) wait and form the next group,
 * so many concurrent writers share one durable append instead of one fsync each.
 */
export function createGroupCommitQueue<W, R>(options: {
  /** Records a group; must settle every write in it. */
  readonly run: (group: readonly Pending<W, R>[]) => Promise<void>;
  /**
   * Opens a group's admission: the function it returns is told each write in turn, the first one
   * included (which always opens the group), and says whether it may join; the first it refuses
   * closes the group and opens the following one.
   */
  readonly admission: () => (next: W) => boolean;
  readonly maxGroup: number;
}): GroupCommitQueue<W, R> {
  const waiting: Pending<W, R>[] = [];
  let draining = false;

  const nextGroup = (): Pending<W, R>[] => {
    const admits = options.admission();
    const group = [waiting.shift() as Pending<W, R>];
    admits((group[0] as Pending<W, R>).write);
    while (waiting.length > 0 && group.length < options.maxGroup) {
      if (!admits((waiting[0] as Pending<W, R>).write)) break;
      group.push(waiting.shift() as Pending<W, R>);
    }
    return group;
  };

  const drain = async () => {
    while (waiting.length > 0) {
      const group = nextGroup();
      try {
        await options.run(group);
      } catch (error) {
        for (const pending of group) pending.reject(error);
      }
    }
    draining = false;
  };

  return {
    enqueue: (write) =>
      new Promise<R>((resolve, reject) => {
        waiting.push({ write, resolve, reject });
        if (draining) return;
        draining = true;
        // Wait for the end of this turn of the event loop, so requests read in the same turn join.
        setImmediate(drain);
      }),
  };
}

/** Answers one pending write with the outcome of `fn`. */
export async function settle<W, R>(pending: Pending<W, R>, fn: (write: W) => Promise<R>): Promise<void> {
  try {
    pending.resolve(await fn(pending.write));
  } catch (error) {
    pending.reject(error);
  }
}
