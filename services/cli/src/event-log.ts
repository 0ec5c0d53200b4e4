import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLedgerIndex, foldRecorded, type LedgerIndex, type RecordedEvent } from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';
import { openStoreAt, StoreLocation } from '@ledger/runtime';
import { SingleBar } from 'cli-progress';
import { CliFailure, EXIT } from './failure.ts';

/**
 * The store the CLI reads: LEDGER_STORE, parsed as the services parse it (a SQLite file or a
 * KurrentDB connection string), or else $LEDGER_DATA_DIR/ledger.sqlite.
 */
export function storeLocation(env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const value = env.LEDGER_STORE;
  if (!value) return { kind: 'sqlite', path: join(env.LEDGER_DATA_DIR ?? './data', 'ledger.sqlite') };
  const parsed = StoreLocation.safeParse(value);
  if (!parsed.success)
    throw new CliFailure(
      `LEDGER_STORE=${JSON.stringify(value)}: ${parsed.error.issues[0]?.message}`,
      EXIT.usage,
    );
  return parsed.data;
}

/** The store's file, beside which verify looks for log-verifier.key when no key is given (none on KurrentDB). */
export function storePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const location = storeLocation(env);
  return location.kind === 'sqlite' ? location.path : undefined;
}

/** Opens the store a location names. Tests give one over their own stand-in. */
export type StoreOpener = (location: StoreLocation) => EventStore;

/** As the services open it (@ledger/runtime). */
export const openAdapter: StoreOpener = (location) => openStoreAt(location);

/** The ledger's store. A SQLite file that is not there is a mistake in the location, not an empty ledger. */
export function openStore(env: NodeJS.ProcessEnv = process.env, open: StoreOpener = openAdapter): EventStore {
  const location = storeLocation(env);
  if (location.kind === 'sqlite' && !existsSync(location.path))
    throw new CliFailure(`no ledger at ${location.path} (set LEDGER_DATA_DIR or LEDGER_STORE)`, EXIT.usage);
  return open(location);
}

/** A progress bar on stderr while a long job runs (only when stderr is a terminal). */
export function progress(label: string, total: number) {
  if (!process.stderr.isTTY || total < 10_000)
    return { update: (_n: number) => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} events | {eta}s left`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { update: (n: number) => bar.update(n), stop: () => bar.stop() };
}

/** Reads the whole log in order, page by page, with a progress bar. */
export async function readLog(store: EventStore, pageSize = 10_000): Promise<RecordedEvent[]> {
  const head = await store.head();
  const bar = progress('reading the log', head.position);
  const log: RecordedEvent[] = [];
  for await (const page of readPages(store, 0, pageSize)) {
    log.push(...page);
    bar.update(log.length);
  }
  bar.stop();
  return log;
}

/** Folds a log into a fresh as-of index, validating every ledger event against its schema. */
export function fold(log: readonly RecordedEvent[]): LedgerIndex {
  const index = createLedgerIndex();
  for (const e of log) {
    try {
      foldRecorded(index, e);
    } catch (error) {
      throw new CliFailure(
        `event ${e.eventId} at position ${e.position} cannot be applied: ${(error as Error).message}`,
      );
    }
  }
  return index;
}
