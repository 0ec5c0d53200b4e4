import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@ledger/event-store';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { describe, expect, it } from 'vitest';
import { idempotencyStream } from '../src/idempotency.ts';
import { createIngestion } from '../src/ingest.ts';
import { createKeyFilter } from '../src/key-filter.ts';
import { REFERENCE, submission, write } from '../src/testing.ts';

const streams = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => idempotencyStream(`kafka:ledger.commands.v1:0:${from + i}`));

describe('the filter of idempotency keys seen', () => {
  it('never rules out a key it was given, through its growth, and rules out nearly all others', () => {
    const filter = createKeyFilter(1_000);
    const seen = streams(0, 50_000);
    for (const s of seen) filter.add(s);
    expect(seen.every((s) => filter.mayHold(s))).toBe(true);
    const others = streams(1_000_000, 50_000);
    const maybe = others.filter((s) => filter.mayHold(s)).length;
    expect(maybe).toBeGreaterThan(0);
    expect(maybe / others.length).toBeLessThan(0.02);
  });

  it('rules out everything while empty, and never a stream whose name it cannot read', () => {
    const filter = createKeyFilter();
    expect(streams(0, 1_000).some((s) => filter.mayHold(s))).toBe(false);
    const odd = `idempotency:${createHash('sha256').update('x').digest('base64')}`;
    filter.add(odd);
    expect(filter.mayHold(odd)).toBe(true);
    expect(filter.mayHold('idempotency:ZZZZ')).toBe(true);
  });
});

describe('a write under an idempotency key', () => {
  it('looks the key up in the store only when the log may hold it; a retry, also from another process, is answered from its record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-filter-'));
    const logger = createLogger('key-filter-test', 'silent');
    const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const lookups: string[] = [];
    const watched: EventStore = {
      ...store,
      readStream: (streamId, options) => {
        if (streamId.startsWith('idempotency:')) lookups.push(streamId);
        return store.readStream(streamId, options);
      },
    };
    const ingestion = createIngestion({ store: watched, logger });
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));
    const keyed = (key: string, period: string) => ({
      ...write([submission(80, period)]),
      idempotencyKey: key,
    });

    const first = await ingestion.execute(keyed('k-1', '2023'));
    await ingestion.execute(keyed('k-2', '2024'));
    expect(lookups).toEqual([]);

    const again = await ingestion.execute(keyed('k-1', '2023'));
    expect(again.replayed).toBe(true);
    expect(again.results).toEqual(first.results);
    expect(lookups).toEqual([idempotencyStream('svc:test\u0000k-1')]);

    // A key another process recorded: this one's model reads it before deciding, so it looks it up.
    const otherStore = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
    const other = createIngestion({ store: otherStore, logger });
    await other.start();
    const theirs = await other.execute(keyed('k-3', '2025'));
    const retried = await ingestion.execute(keyed('k-3', '2025'));
    expect(retried.replayed).toBe(true);
    expect(retried.results).toEqual(theirs.results);
    await Promise.all([store.close(), otherStore.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
});
