/** What a fuzzing session tried, and how the ledger answered. */
export interface Stats {
  runs: number;
  /** Answers by what was sent (a label) and status. */
  readonly answers: Map<string, Map<number, number>>;
  rankingsCompared: number;
  answersKept: number;
  /** Kafka records: published, recorded, rejected by status. */
  readonly records: { published: number; recorded: number; rejected: Map<number, number> };
}

export const newStats = (): Stats => ({
  runs: 0,
  answers: new Map(),
  rankingsCompared: 0,
  answersKept: 0,
  records: { published: 0, recorded: 0, rejected: new Map() },
});

export function count(stats: Stats, label: string, status: number): void {
  const byStatus = stats.answers.get(label) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  stats.answers.set(label, byStatus);
}

const line = (byStatus: Map<number, number>) =>
  [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');

/** The stats as lines of text: totals, then each kind of request by status. */
export function report(stats: Stats): string {
  const total = new Map<number, number>();
  for (const byStatus of stats.answers.values())
    for (const [status, n] of byStatus) total.set(status, (total.get(status) ?? 0) + n);
  const sent = [...total.values()].reduce((a, b) => a + b, 0);
  const accepted = [...total.entries()].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
  const lines = [`runs ${stats.runs}`];
  if (sent > 0)
    lines.push(
      `HTTP requests ${sent}: ${accepted} answered 2xx, ${sent - accepted} 4xx (${line(total)})`,
      ...[...stats.answers.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, byStatus]) => `  ${label}: ${line(byStatus)}`),
    );
  lines.push(
    `rankings compared with a full replay: ${stats.rankingsCompared}; sealed answers re-read unchanged: ${stats.answersKept}`,
  );
  if (stats.records.published > 0)
    lines.push(
      `Kafka records ${stats.records.published}: ${stats.records.recorded} recorded, ${[...stats.records.rejected.values()].reduce((a, b) => a + b, 0)} rejected (${line(stats.records.rejected)})`,
    );
  return lines.join('\n');
}
