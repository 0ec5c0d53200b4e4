export * from './checkpoints.ts';
export { configureConnection } from './schema.ts';
export { getSQLiteEventStore, type SQLiteEventStoreOptions } from './store.ts';
