import { runService } from '@ledger/runtime/service';
import { mountProjection } from './mount.ts';

/** The projection service: follows ledger.events.v1 into the as-of index and serves the read API. */
await runService('projection', 8083, (ctx) => mountProjection(ctx));
