import { causesFor } from './diff.ts';
import type { Methodology } from './facts.ts';
import { lastAtOrBefore } from './history.ts';
import type { LedgerIndex } from './ledger-index.ts';
import type { Period } from './period.ts';
import { type Ranking, rank } from './ranking.ts';
import { viewAt } from './view.ts';

/** An instant at which a ranking changed: as of it, some unit's rank or total differs from just before. */
export interface RankingChange {
  /** The recordedAt (epoch ms) of the events that changed it: as of this instant the change is in. */
  readonly recordedAtMs: number;
  /** The last log position recorded at that instant. */
  readonly position: number;
  /** Units whose rank or total moved, or that entered or left the ranking. */
  readonly unitsMoved: number;
  readonly methodologyVersion: number;
}

/** How many instants one answer evaluates at most: each is a ranking of its own. */
export const MAX_RANKING_CHANGES = 2_000;

const signature = (ranking: Ranking): Map<string, string> =>
  new Map(ranking.rows.map((r) => [r.unitId, `${r.rank}:${r.total}`]));

const moved = (before: Map<string, string> | undefined, after: Map<string, string>): number => {
  if (!before) return after.size;
  let n = 0;
  for (const [unitId, sig] of after) if (before.get(unitId) !== sig) n++;
  for (const unitId of before.keys()) if (!after.has(unitId)) n++;
  return n;
};

/**
 * The instants in [fromMs, toMs] at which a ranking changed, oldest first, the newest
 * MAX_RANKING_CHANGES of them at most. Only events that could change a ranked unit's inputs are
 * candidates (causesFor, the same rule the diff explains changes with); each candidate instant is
 * ranked and compared with the ranking just before it, so an event that changed nothing visible
 * (a value resubmitted unchanged, a unit's indicator outside the methodology) is not a change.
 */
export function rankingChanges(
  index: LedgerIndex,
  methodologyId: string,
  period: Period,
  options: { parentId?: string; fromMs?: number; toMs?: number } = {},
): { changes: RankingChange[]; truncated: boolean } {
  const head = viewAt(index);
  const versions: Methodology[] = (index.methodologies.get(methodologyId) ?? []).map((v) => v.value);
  if (versions.length === 0) return { changes: [], truncated: false };
  const units = head.units(options.parentId).filter((u) => versions.some((m) => m.level === u.level));
  const last = index.positions.at(-1) ?? 0;
  const candidates = new Set<number>();
  for (const unit of units)
    for (const p of causesFor(index, versions, methodologyId, unit.unitId, period, 0, last))
      candidates.add(p);

  // Events recorded at the same instant are in or out of an as-of answer together.
  const instants = new Set<number>();
  for (const p of candidates) {
    const ms = index.recordedAtMs.at(lastAtOrBefore(index.positions, p)) as number;
    if ((options.fromMs ?? -Infinity) <= ms && ms <= (options.toMs ?? Infinity)) instants.add(ms);
  }
  const sorted = [...instants].sort((a, b) => a - b);
  const truncated = sorted.length > MAX_RANKING_CHANGES;
  const evaluated = truncated ? sorted.slice(-MAX_RANKING_CHANGES) : sorted;

  const rankingAt = (position: number) => {
    const view = viewAt(index, position);
    const methodology = view.methodology(methodologyId, period);
    return methodology ? rank(view, methodology, period, options.parentId) : undefined;
  };
  const positionAt = (ms: number) => {
    const i = lastAtOrBefore(index.recordedAtMs, ms);
    return i < 0 ? 0 : (index.positions.at(i) as number);
  };
  const first = evaluated[0];
  const start = first === undefined ? undefined : rankingAt(positionAt(first - 1));
  let previous = start ? signature(start) : undefined;
  let previousVersion = start?.methodology.version;
  const changes: RankingChange[] = [];
  for (const ms of evaluated) {
    const position = positionAt(ms);
    const ranking = rankingAt(position);
    if (!ranking) continue;
    const now = signature(ranking);
    const unitsMoved = moved(previous, now);
    const version = ranking.methodology.version;
    if (unitsMoved > 0 || version !== previousVersion)
      changes.push({ recordedAtMs: ms, position, unitsMoved, methodologyVersion: version });
    previous = now;
    previousVersion = version;
  }
  return { changes, truncated };
}
