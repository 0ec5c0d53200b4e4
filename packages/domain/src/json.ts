import { isWellFormedText } from './text.ts';

/** How deeply a request body or an event's data may nest: far beyond any command, far below the stack. */
export const MAX_JSON_DEPTH = 64;

export interface JsonFault {
  /** Dotted path of the offending member ('' for the value itself). */
  readonly path: string;
  readonly message: string;
}

/**
 * The first place where a value nests deeper than `maxDepth` (objects and arrays count one level
 * each), or undefined. Recursion stops at the limit, so no input can overflow the stack.
 */
export function tooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonFault | undefined {
  const path: string[] = [];
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    if (depth >= maxDepth) return true;
    for (const key of Object.keys(v)) {
      path.push(key);
      if (walk((v as Record<string, unknown>)[key], depth + 1)) return true;
      path.pop();
    }
    return false;
  };
  return walk(value, 0)
    ? { path: path.join('.'), message: `nests deeper than ${maxDepth} levels` }
    : undefined;
}

/**
 * Why a value is not JSON that every reader of the log can store, hash (RFC 8785) and read back
 * exactly, or undefined: only plain objects, arrays, well-formed strings (keys included), finite
 * numbers, booleans and null, at most `maxDepth` levels deep.
 */
export function notPlainJson(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonFault | undefined {
  const path: string[] = [];
  const fault = (message: string): JsonFault => ({ path: path.join('.'), message });
  const walk = (v: unknown, depth: number): JsonFault | undefined => {
    switch (typeof v) {
      case 'string':
        return isWellFormedText(v) ? undefined : fault('is not well-formed Unicode (a lone surrogate)');
      case 'number':
        return Number.isFinite(v) ? undefined : fault(`is ${v}, which JSON cannot hold`);
      case 'boolean':
        return undefined;
      case 'object':
        break;
      default:
        return fault(`is ${typeof v}, which JSON cannot hold`);
    }
    if (v === null) return undefined;
    if (depth >= maxDepth) return fault(`nests deeper than ${maxDepth} levels`);
    const isArray = Array.isArray(v);
    const proto = Object.getPrototypeOf(v);
    if (!isArray && proto !== Object.prototype && proto !== null) return fault('is not a plain object');
    for (const key of Object.keys(v)) {
      path.push(key);
      if (!isArray && !isWellFormedText(key)) return fault('is a key that is not well-formed Unicode');
      const found = walk((v as Record<string, unknown>)[key], depth + 1);
      if (found) return found;
      path.pop();
    }
    return undefined;
  };
  return walk(value, 0);
}
