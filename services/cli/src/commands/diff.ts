import { diffRankings, type LedgerIndex, type RecordedEvent, rank, viewAt } from '@ledger/domain';
import { CliFailure, EXIT } from '../failure.ts';
import { positionFor } from './replay.ts';

/** What changed in a ranking between two instants, and the events recorded in between that caused it. */
export function diff(
  index: LedgerIndex,
  log: readonly RecordedEvent[],
  request: { methodologyId: string; period: string; from: string; to?: string; parentId?: string },
) {
  const at = (asOf: string | undefined) => {
    const view = viewAt(index, positionFor(index, asOf));
    return { view, methodology: view.methodology(request.methodologyId, request.period) };
  };
  const from = at(request.from);
  const to = at(request.to);
  if (!to.methodology)
    throw new CliFailure(
      `methodology ${request.methodologyId} has no version for ${request.period}`,
      EXIT.failed,
    );
  const before = from.methodology
    ? rank(from.view, from.methodology, request.period, request.parentId)
    : { methodology: to.methodology, period: request.period, position: from.view.position, rows: [] };
  const after = rank(to.view, to.methodology, request.period, request.parentId);
  const byPosition = new Map(log.map((e) => [e.position, e]));
  return {
    from: { position: from.view.position, methodologyVersion: from.methodology?.version ?? null },
    to: { position: to.view.position, methodologyVersion: to.methodology.version },
    changes: diffRankings(index, before, after).map((c) => ({
      ...c,
      causes: c.causes.map((p) => byPosition.get(p)),
    })),
  };
}
