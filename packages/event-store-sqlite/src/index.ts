export * from './checkpoints.ts';
export { getSQLiteEventStore, type SQLiteEventStoreOptions } from './store.ts';
