import type { EventStore } from '@ledger/event-store';
import { getKurrentDBEventStore } from '@ledger/event-store-kurrentdb';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import type { StoreLocation } from './config.ts';

/**
 * The event store at a location: a SQLite file, or a KurrentDB server or cluster. `durability`
 * 'derived' is for a writer whose events are recomputed from the log (SQLite: see its option).
 */
export function openStoreAt(location: StoreLocation, durability: 'full' | 'derived' = 'full'): EventStore {
  return location.kind === 'kurrentdb'
    ? getKurrentDBEventStore({ connectionString: location.connectionString })
    : getSQLiteEventStore({ path: location.path, durability });
}
