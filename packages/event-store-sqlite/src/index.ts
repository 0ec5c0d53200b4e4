export { getSQLiteEventStore, type SQLiteEventStoreOptions } from './store.ts';
