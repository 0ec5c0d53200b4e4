import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLedgerIndex, foldRecorded, type LedgerIndex, type RecordedEvent } from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { SingleBar } from 'cli-progress';
import { CliFailure, EXIT } from './failure.ts';

/** The store file the CLI reads: LEDGER_STORE (sqlite:<path>) or else $LEDGER_DATA_DIR/ledger.sqlite. */
export function storePath(env: NodeJS.ProcessEnv = process.env): string {
  const location = env.LEDGER_STORE;
  if (!location) return join(env.LEDGER_DATA_DIR ?? './data', 'ledger.sqlite');
  if (!location.startsWith('sqlite:'))
    throw new CliFailure(`LEDGER_STORE=${location}: this build's CLI reads sqlite:<path> stores`, EXIT.usage);
  return location.slice('sqlite:'.length);
}

export function openStore(env: NodeJS.ProcessEnv = process.env): EventStore {
  const path = storePath(env);
  if (!existsSync(path))
    throw new CliFailure(`no ledger at ${path} (set LEDGER_DATA_DIR or LEDGER_STORE)`, EXIT.usage);
  return getSQLiteEventStore({ path });
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
