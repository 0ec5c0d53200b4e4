import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { httpProperty, kafkaProperty } from './src/session.ts';
import { newStats, report } from './src/stats.ts';

/**
 * A short run of the door's fuzzer (`pnpm fuzz --minutes N` runs it longer): arbitrary and
 * near-valid requests against a real all-in-one server. Every answer 2xx or 4xx, a refused request
 * leaves nothing behind, and after each run the followers are live, what is served is a full
 * replay of the store, sealed answers are unchanged, `ledger verify` passes, and a restart serves
 * the same. A failure prints the seed and path that replay it (`pnpm fuzz --seed S --path P`).
 */
describe('the door under fuzzing', () => {
  it('the HTTP API: no input gets a 5xx or breaks the ledger', async () => {
    const stats = newStats();
    await fc.assert(httpProperty(stats, { min: 40, max: 80 }), { numRuns: 3, endOnFailure: true });
    console.log(report(stats));
    expect(stats.runs).toBe(3);
    expect(stats.rankingsCompared).toBeGreaterThan(0);
  }, 180_000);

  it('the Kafka command topic: every record recorded or rejected with its reason, and ingestion never stops', async () => {
    const stats = newStats();
    await fc.assert(kafkaProperty(stats, { min: 30, max: 50 }), { numRuns: 1, endOnFailure: true });
    console.log(report(stats));
    expect(stats.runs).toBe(1);
    expect(stats.records.published).toBeGreaterThan(0);
    expect(
      stats.records.recorded + [...stats.records.rejected.values()].reduce((a, b) => a + b, 0),
    ).toBeGreaterThan(0);
  }, 180_000);
});
