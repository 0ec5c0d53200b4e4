import type { Decision } from './decide.ts';
import { conflict } from './errors.ts';
import { bookkeepingStreams } from './streams.ts';
import { revisionOf, type WriteState } from './write-state.ts';

/**
 * The time rule (docs/scoring.md, "Time").
 *
 * A ledger is open for import until it is sealed. While it is open, a write may ask for its
 * recordedAt, to migrate history (from spreadsheets, DHIS2, the demo), within the store's rule: not
 * before the latest recordedAt in the log, not in the future. It is sealed explicitly (an ops call,
 * `ledger seal`) or by its first write recorded at the ledger's own clock, and the seal is an event
 * in the log, recorded with that write. Once it is sealed, a requested recordedAt is refused and
 * every write is recorded at the clock: an answer "as of" an instant already served can no longer
 * change. The ledger's own derived events (scores, signed checkpoints) are recorded at the instant of
 * their input and neither need nor break the seal. So are the access events of principals, grants
 * and keys while the ledger is open: they are recorded at the latest recordedAt in the log, so that
 * registering the importers of a history does not seal the ledger before the history is imported.
 */
export const isSealed = (state: WriteState): boolean => revisionOf(state, bookkeepingStreams.seal) >= 0;

export interface TimeRequest {
  /** The recordedAt a write asks for (an import), if any. */
  readonly recordedAt: string | undefined;
  /** Set when the write is an explicit seal, with its reason. */
  readonly seal?: { readonly reason: string | null };
  /** Set when the write holds access commands only (principals, grants, keys). */
  readonly access?: boolean;
}

export const FIRST_CLOCK_WRITE = 'sealed by the first write recorded at the ledger’s clock';

/** The seal a write records with it, if it seals the ledger; throws a Rejection if the rule refuses the write. */
export function decideTime(state: WriteState, request: TimeRequest): Decision | undefined {
  const sealed = isSealed(state);
  if (sealed && request.recordedAt !== undefined)
    throw conflict(
      'recordedAt',
      'the ledger is sealed: every write is recorded at the ledger’s clock, and recordedAt is refused',
    );
  if (sealed && request.seal) throw conflict('', 'the ledger is already sealed');
  if (sealed || (request.recordedAt !== undefined && !request.seal)) return undefined;
  if (request.access && !request.seal) return undefined;
  return {
    streamId: bookkeepingStreams.seal,
    expectedRevision: -1,
    event: {
      type: 'ledger.ledger-sealed.v1',
      data: { reason: request.seal ? request.seal.reason : FIRST_CLOCK_WRITE },
    },
  };
}
