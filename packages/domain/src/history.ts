/** One version of a fact, valid from the log position that recorded it until the next version. */
export interface Version<T> {
  readonly position: number;
  readonly value: T;
}

/** The versions of one fact in log order. Appending only; never rewritten. */
export type History<T> = Version<T>[];

/** The version in force at `position`: the last one recorded at or before it. Binary search. */
export function versionAt<T>(history: History<T> | undefined, position: number): T | undefined {
  if (!history || history.length === 0) return undefined;
  let lo = 0;
  let hi = history.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((history[mid] as Version<T>).position <= position) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? undefined : (history[found] as Version<T>).value;
}

export function record<K, T>(map: Map<K, History<T>>, key: K, position: number, value: T): void {
  const history = map.get(key);
  if (history) history.push({ position, value });
  else map.set(key, [{ position, value }]);
}

/** The index of the last element ≤ `target` in an ascending array, or -1. */
export function lastAtOrBefore(
  sorted: { readonly length: number; at(i: number): number | undefined },
  target: number,
  length = sorted.length,
): number {
  let lo = 0;
  let hi = length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted.at(mid) as number) <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
