import {
  type LedgerIndex,
  lastAtOrBefore,
  parseAsOf,
  positionAsOf,
  type RecordedEvent,
  viewAt,
} from '@ledger/domain';
import { rankingReport } from '@ledger/reports';
import { firstDifference } from '../compare.ts';
import { CliFailure, EXIT } from '../failure.ts';

export interface ReplayRequest {
  readonly methodologyId: string;
  readonly period: string;
  readonly asOf?: string;
  readonly parentId?: string;
}

/** The position an as-of instant (or now) reaches in the index. */
export function positionFor(index: LedgerIndex, asOf: string | undefined, now = Date.now()): number {
  if (asOf === undefined) return positionAsOf(index, now);
  const ms = parseAsOf(asOf);
  if (ms === undefined)
    throw new CliFailure(`--as-of ${asOf} is not an ISO-8601 date or date-time`, EXIT.usage);
  return positionAsOf(index, ms);
}

/** A ranking rebuilt from the raw log, as the read API would serve it. */
export function replayRanking(index: LedgerIndex, request: ReplayRequest, position: number) {
  try {
    return rankingReport(viewAt(index, position), request.methodologyId, request.period, request.parentId);
  } catch (error) {
    throw new CliFailure((error as Error).message, EXIT.failed);
  }
}

export interface Divergence {
  readonly position: number;
  readonly event: Pick<RecordedEvent, 'eventId' | 'type' | 'recordedAt'> | undefined;
  readonly path: string;
  readonly served: unknown;
  readonly replayed: unknown;
}

/**
 * Compares what a ledger serves with the replay, field by field, at the given position. On a
 * difference, bisects the log for the first position at which they differ (assuming that once
 * they differ they keep differing, as a projection that went wrong does).
 */
export async function compareWithServed(
  index: LedgerIndex,
  log: readonly RecordedEvent[],
  request: ReplayRequest,
  position: number,
  url: string,
  /** A credential to read with, where reads need one (LEDGER_READS=authenticated). */
  credential?: string,
): Promise<Divergence | undefined> {
  const served = async (at: number) => {
    const query = new URLSearchParams({
      atPosition: String(at),
      ...(request.parentId ? { parentId: request.parentId } : {}),
    });
    const res = await fetch(`${url}/v1/rankings/${request.methodologyId}/${request.period}?${query}`, {
      headers: credential ? { authorization: `Bearer ${credential}` } : {},
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new CliFailure(`${url} answered ${res.status} for the ranking at position ${at}`);
    const { rows, methodologyVersion } = (await res.json()) as { rows: unknown; methodologyVersion: number };
    return { methodologyVersion, rows };
  };
  const replayed = (at: number) => {
    try {
      const { rows, methodologyVersion } = rankingReport(
        viewAt(index, at),
        request.methodologyId,
        request.period,
        request.parentId,
      );
      return { methodologyVersion, rows };
    } catch {
      return undefined;
    }
  };
  const differenceAt = async (at: number) =>
    firstDifference(await served(at), JSON.parse(JSON.stringify(replayed(at) ?? null)) ?? undefined);

  const last = await differenceAt(position);
  if (!last) return undefined;
  // The positions up to `position` are the first `count` of the index's, ascending.
  const count = lastAtOrBefore(index.positions, position) + 1;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (await differenceAt(index.positions.at(mid) as number)) hi = mid;
    else lo = mid + 1;
  }
  const at = index.positions.at(lo) ?? position;
  const difference = (await differenceAt(at)) ?? last;
  const event = log.find((e) => e.position === at);
  return {
    position: at,
    event: event && { eventId: event.eventId, type: event.type, recordedAt: event.recordedAt },
    path: difference.path,
    served: difference.left,
    replayed: difference.right,
  };
}
