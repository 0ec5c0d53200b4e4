/** The first place two JSON values differ, as a dotted path with both values; undefined when equal. */
export function firstDifference(
  a: unknown,
  b: unknown,
  path = '',
): { path: string; left: unknown; right: unknown } | undefined {
  if (Object.is(a, b)) return undefined;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  )
    return { path, left: a, right: b };
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length)
    return { path: path ? `${path}.length` : 'length', left: a.length, right: b.length };
  for (const key of keys) {
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
    );
    if (found) return found;
  }
  return undefined;
}
