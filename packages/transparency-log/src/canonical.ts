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
import { leafHash } from './rfc9162.ts';

/**
 * RFC 8785 canonical JSON text of a JSON value. Throws for what JSON cannot carry exactly:
 * NaN, ±Infinity, lone surrogates, cycles, a BigInt, or a top-level value with no JSON form.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
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
  const envelope = { eventId, type, schemaVersion, streamId, revision, position, recordedAt, data, metadata };
  return new Uint8Array(Buffer.from(canonicalJson(envelope), 'utf8'));
}

/** The leaf hash of one recorded event: SHA-256(0x00 || canonicalEventBytes(event)). */
export const eventLeafHash = (event: RecordedEvent): Uint8Array => leafHash(canonicalEventBytes(event));

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
