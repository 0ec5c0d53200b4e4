/**
 * The bytes of a recorded event that the log commits to: RFC 8785 (JSON Canonicalization Scheme)
 * of its full envelope, UTF-8 encoded. Leaf i of the tree is leafHash of these bytes for the i-th
 * event in global order.
 *
 * The serialisation is `canonicalize` by Samuel Erdtman and Anders Rundgren (co-authors of RFC
 * 8785): no dependencies, ECMAScript number formatting (JSON.stringify), properties sorted by
 * UTF-16 code units, lone surrogates refused. It is pinned to an exact version because a change
 * in its output would change every leaf hash.
 */
import type { RecordedEvent } from '@ledger/domain';
import canonicalize from 'canonicalize';
import { textLeafHash } from './rfc9162.ts';

/**
 * RFC 8785 canonical JSON text of a JSON value. Throws for what JSON cannot carry exactly:
 * NaN, ±Infinity, lone surrogates, cycles, a BigInt, or a top-level value with no JSON form.
 */
export function canonicalJson(value: unknown): string {
  let sorted: unknown;
  try {
    sorted = sortedCopy(value);
  } catch {
    sorted = GENERAL; // a cycle (the stack overflowed) or a getter that threw: the library says which
  }
  if (sorted !== GENERAL) {
    const text = JSON.stringify(sorted);
    // JSON.stringify escapes a lone surrogate as \udxxx, which RFC 8785 refuses: the library says so.
    if (!text.includes('\\ud')) return text;
  }
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

/** The value needs the library's general rules (see sortedCopy). */
const GENERAL = Symbol('general');

/**
 * A copy of a JSON value with every object's keys inserted in UTF-16 order, so that V8's native
 * JSON.stringify writes its RFC 8785 text: about half the library's time, on every leaf hash
 * (docs/benchmarks.md, "Measured choices"). GENERAL for anything whose text the library decides by
 * rules of its own: a non-finite number, undefined, a function, symbol or BigInt, an object that
 * is not a plain one (toJSON, boxed primitives, Dates), a key that JavaScript would enumerate
 * before the others (an integer-like key, which starts with a digit) or that an assignment would
 * not create (`__proto__`).
 */
function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : GENERAL;
    case 'object':
      break;
    default:
      return GENERAL;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === GENERAL) return GENERAL;
      copy[i] = item;
    }
    return copy;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return GENERAL;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === '__proto__') return GENERAL;
    const item = sortedCopy((value as Record<string, unknown>)[key]);
    if (item === GENERAL) return GENERAL;
    copy[key] = item;
  }
  return copy;
}

const isInteger = (n: unknown): boolean => Number.isSafeInteger(n);
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 8785 canonical UTF-8 bytes of the recorded envelope: eventId, type, schemaVersion,
 * streamId, revision, position, recordedAt, data and metadata, and nothing else (a property an
 * adapter adds to the runtime object is not part of the event). An event read back from the store
 * gives the same bytes as the event the store returned at append: JSON round trips keep the
 * canonical form (undefined members disappear from both, -0 is written 0 by both).
 */
export function canonicalEventBytes(event: RecordedEvent): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalEventText(event), 'utf8'));
}

/** The text of canonicalEventBytes, before UTF-8 encoding. */
function canonicalEventText(event: RecordedEvent): string {
  const { eventId, type, schemaVersion, streamId, revision, position, recordedAt, data, metadata } = event;
  const problems: string[] = [];
  if (typeof eventId !== 'string') problems.push('eventId');
  if (typeof type !== 'string') problems.push('type');
  if (!isInteger(schemaVersion)) problems.push('schemaVersion');
  if (typeof streamId !== 'string') problems.push('streamId');
  if (!isInteger(revision)) problems.push('revision');
  if (!isInteger(position)) problems.push('position');
  if (typeof recordedAt !== 'string') problems.push('recordedAt');
  if (data === undefined) problems.push('data');
  if (!isObject(metadata)) problems.push('metadata');
  if (problems.length > 0) {
    throw new TypeError(`canonicalEventBytes: not a recorded event (${problems.join(', ')})`);
  }
  return canonicalJson({
    eventId,
    type,
    schemaVersion,
    streamId,
    revision,
    position,
    recordedAt,
    data,
    metadata,
  });
}

/** The leaf hash of one recorded event: SHA-256(0x00 || canonicalEventBytes(event)). */
export const eventLeafHash = (event: RecordedEvent): Uint8Array => textLeafHash(canonicalEventText(event));

/**
 * The leaf hashes of events in global order, checking that their positions strictly increase
 * (the order the tree commits to). Throws a RangeError naming the first event out of order.
 */
export function eventLeafHashes(events: Iterable<RecordedEvent>, afterPosition = 0): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  let last = afterPosition;
  for (const event of events) {
    if (!(event.position > last)) {
      throw new RangeError(
        `eventLeafHashes: event ${event.eventId} at position ${event.position} does not follow position ${last}`,
      );
    }
    last = event.position;
    hashes.push(eventLeafHash(event));
  }
  return hashes;
}
