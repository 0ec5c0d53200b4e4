import { runService } from '@ledger/runtime/service';
import { mountIngestion } from './mount.ts';

/** The ingestion service: the HTTP write API, the commands topic, and the relay from the store to Kafka. */
await runService('ingestion', 8081, (ctx) => mountIngestion(ctx));
