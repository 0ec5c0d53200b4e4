/**
 * How the ledger's streams and the adapter's own bookkeeping streams are named in KurrentDB, and the
 * server-side filter that selects exactly the ledger's events (plus the clock) from `$all`.
 *
 * - A ledger stream keeps its name (`unit:752`, `value:2024:752:satisfaction`, `score:…`,
 *   `checkpoint:scoring`, `idempotency:…`), prefixed by the store's namespace if it has one.
 * - The adapter's bookkeeping streams start with `_ledger-`: `_ledger-clock` (one event per append)
 *   and `_ledger-event-<eventId>` (one marker per recorded event, for exact idempotency).
 * - So ledger stream ids may not start with `_` (reserved for bookkeeping) or `$` (KurrentDB's
 *   system streams); event types may not start with `$` (system event types).
 */

export const CLOCK_STREAM = '_ledger-clock';
export const MARKER_STREAM_PREFIX = '_ledger-event-';
export const CLOCK_EVENT_TYPE = '_ledger.clock';
export const MARKER_EVENT_TYPE = '_ledger.event-recorded';

/** A namespace (several ledgers or test runs on one server): letters, digits, `.`, `_`, `-`; no `$` first. */
const NAMESPACE = /^(?:[A-Za-z0-9.-][A-Za-z0-9._-]*)?$/;

export interface Names {
  readonly namespace: string;
  readonly clock: string;
  /** The KurrentDB stream of a ledger stream id. */
  stream(streamId: string): string;
  /** The ledger stream id of a KurrentDB stream name, or undefined if it is not one of this store's. */
  ledgerStreamId(streamName: string): string | undefined;
  marker(eventId: string): string;
  /**
   * The server-side stream-name filter for `$all` reads: this namespace's ledger streams and its clock,
   * not its markers, nor system (`$…`) streams. Plain regex (no look-around), anchored.
   */
  readonly allFilterRegex: string;
}

export function names(namespace = ''): Names {
  if (!NAMESPACE.test(namespace)) {
    throw new TypeError(
      `namespace ${JSON.stringify(namespace)} may hold letters, digits, ".", "_" and "-", and may not start with "_"`,
    );
  }
  const clock = namespace + CLOCK_STREAM;
  return {
    namespace,
    clock,
    stream: (streamId) => namespace + streamId,
    ledgerStreamId: (streamName) => {
      if (!streamName.startsWith(namespace)) return undefined;
      const id = streamName.slice(namespace.length);
      return isLedgerStreamId(id) ? id : undefined;
    },
    marker: (eventId) => `${namespace}${MARKER_STREAM_PREFIX}${eventId}`,
    allFilterRegex: `^${escapeRegex(namespace)}(?:[^$_]|${escapeRegex(CLOCK_STREAM)}$)`,
  };
}

function isLedgerStreamId(id: string): boolean {
  return id.length > 0 && !id.startsWith('_') && !id.startsWith('$');
}

/** Refuses, before anything is written, a stream id the adapter cannot store as a ledger stream. */
export function checkStreamId(streamId: string): void {
  if (typeof streamId !== 'string' || !isLedgerStreamId(streamId)) {
    throw new TypeError(
      `stream id ${JSON.stringify(streamId)} is not allowed: it must be non-empty and not start with "_" (the store's bookkeeping) or "$" (KurrentDB system streams)`,
    );
  }
}

export function checkEventType(type: string): void {
  if (typeof type !== 'string' || type.length === 0 || type.startsWith('$')) {
    throw new TypeError(
      `event type ${JSON.stringify(type)} is not allowed: non-empty, not starting with "$"`,
    );
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
