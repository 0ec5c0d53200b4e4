import fc from 'fast-check';
import { runHttp } from './http-run.ts';
import { runKafka } from './kafka-run.ts';
import { spec } from './specs.ts';
import type { Stats } from './stats.ts';

/** With FUZZ_TRACE set, each failing run says why as it fails (shrinking runs many). */
const traced = (run: Promise<void>) =>
  run.catch((error: unknown) => {
    if (process.env.FUZZ_TRACE) console.log(`run failed: ${(error as Error).message}`);
    throw error;
  });

/**
 * A property over runs against the HTTP API: each run a fresh ledger, `requests` specs sent, the
 * invariants checked. fast-check shrinks a failing run to a short one and reports its seed and path.
 */
export function httpProperty(stats: Stats, requests: { min: number; max: number }) {
  let run = 0;
  // A migration first: the first `imports` writes ask for their recordedAt, as an import of history does.
  return fc.asyncProperty(
    fc.array(spec, { minLength: requests.min, maxLength: requests.max }),
    fc.nat({ max: Math.floor(requests.min / 2) }),
    async (specs, imports) => {
      let writes = 0;
      const phased = specs.map((s) =>
        s.kind === 'write' && writes++ < imports ? { ...s, time: 'import' as const } : s,
      );
      await traced(runHttp(phased, stats, `${Date.now().toString(36)}-${run++}`));
    },
  );
}

/** A property over runs against the split deployment's commands topic, each run a fresh stack. */
export function kafkaProperty(stats: Stats, records: { min: number; max: number }) {
  let run = 0;
  return fc.asyncProperty(
    fc.array(spec, { minLength: records.min, maxLength: records.max }),
    async (specs) => {
      await traced(runKafka(specs, stats, `${Date.now().toString(36)}${run++}`));
    },
  );
}
