import { runService } from '@ledger/runtime/service';
import { mountScoring } from './mount.ts';

/** The scoring service: follows ledger.events.v1 and appends the scores that changed. */
await runService('scoring', 8082, (ctx) => mountScoring(ctx), {
  // Scores are recomputed from the log if a power loss drops its last commits: no fsync per commit.
  storeDurability: 'derived',
});
