export * from './checkpoints.ts';
export { getSQLiteCredentials } from './credentials.ts';
export { configureConnection } from './schema.ts';
export { getSQLiteEventStore, type SQLiteEventStore, type SQLiteEventStoreOptions } from './store.ts';
