export { fromKurrentDBClient, isKurrentDBConnectionString, type LedgerClient, openClient } from './client.ts';
export { CLOCK_STREAM, MARKER_STREAM_PREFIX, names } from './naming.ts';
export { getKurrentDBEventStore, type KurrentDBEventStoreOptions } from './store.ts';
