import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@ledger/domain';
import { newEvent, newEvents, request, waitFor } from '@ledger/event-store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getSQLiteEventStore } from '../src/index.ts';

/** WAL syncs the test finishes by hand, so it can look at the store while one is under way. */
function heldSyncs() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const syncFile = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, syncFile };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a 'full' store's subscriptions deliver only what is on disk", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-durability-'));
    path = join(dir, 'events.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A 'full' store with held syncs, subscribed from the start unless told not to, and a 'derived' writer on the same file. */
  const open = (subscribe = true) => {
    const syncs = heldSyncs();
    const store = getSQLiteEventStore({ path, syncFile: syncs.syncFile, pollIntervalMs: 10 });
    const scores = getSQLiteEventStore({ path, durability: 'derived' });
    const seen: RecordedEvent[] = [];
    const errors: unknown[] = [];
    const follow = () =>
      store.subscribe({
        after: 0,
        onEvents: (events) => void seen.push(...events),
        onError: (error) => void errors.push(error),
      });
    if (subscribe) follow();
    return { syncs, store, scores, seen, errors, follow };
  };

  it("hands over another connection's unsynced commits only after a sync that began after it read them", async () => {
    const { syncs, store, scores, seen } = open();
    await scores.append([request('score:a', 'any', newEvents(2))]);
    await waitFor(() => syncs.calls.length === 1, 2_000, 'a sync');
    await pause(40);
    expect(seen).toEqual([]);

    syncs.calls[0]?.resolve();
    await waitFor(() => seen.length === 2, 2_000, 'the delivery');
    expect(seen.map((e) => e.streamId)).toEqual(['score:a', 'score:a']);
    await Promise.all([store.close(), scores.close()]);
  });

  it('does not sync for what its own durable commits put on disk, including the commits before them', async () => {
    const { syncs, store, scores, seen, follow } = open(false);
    await scores.append([request('score:a', 'any', [newEvent()])]);
    await store.append([request('value:a', 'any', [newEvent()])]);
    follow();
    await waitFor(() => seen.length === 2, 2_000, 'the delivery');
    expect(seen.map((e) => e.streamId)).toEqual(['score:a', 'value:a']);
    expect(syncs.calls).toEqual([]);
    await Promise.all([store.close(), scores.close()]);
  });

  it('a failed sync stops the subscription with the reason, having delivered nothing it covered', async () => {
    const { syncs, store, scores, seen, errors } = open();
    await scores.append([request('score:a', 'any', [newEvent()])]);
    await waitFor(() => syncs.calls.length === 1, 2_000, 'a sync');
    syncs.calls[0]?.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await waitFor(() => errors.length === 1, 2_000, 'the error');
    expect(String(errors[0])).toMatch(/could not sync .*events\.db-wal: EIO/);
    expect(seen).toEqual([]);

    // The failure sticks: a later subscription that needs a sync fails at once, without trying again.
    const later: unknown[] = [];
    store.subscribe({ after: 0, onEvents: () => {}, onError: (error) => void later.push(error) });
    await waitFor(() => later.length === 1, 2_000, 'the second error');
    expect(String(later[0])).toMatch(/could not sync/);
    expect(syncs.calls).toHaveLength(1);
    await Promise.all([store.close(), scores.close()]);
  });

  it('closing waits for the sync under way', async () => {
    const { syncs, store, scores } = open();
    await scores.append([request('score:a', 'any', [newEvent()])]);
    await waitFor(() => syncs.calls.length === 1, 2_000, 'a sync');
    let closed = false;
    const closing = store.close().then(() => {
      closed = true;
    });
    await pause(20);
    expect(closed).toBe(false);
    syncs.calls[0]?.resolve();
    await closing;
    expect(closed).toBe(true);
    await scores.close();
  });

  it("'derived' and ':memory:' stores do not sync", async () => {
    const syncs = heldSyncs();
    for (const store of [
      getSQLiteEventStore({ path, durability: 'derived', syncFile: syncs.syncFile }),
      getSQLiteEventStore({ path: ':memory:', syncFile: syncs.syncFile }),
    ]) {
      const seen: RecordedEvent[] = [];
      store.subscribe({ after: 0, onEvents: (events) => void seen.push(...events) });
      await store.append([request(`value:${store.path}`, 'any', [newEvent()])]);
      await waitFor(() => seen.length > 0, 2_000, 'the delivery');
      await store.close();
    }
    expect(syncs.calls).toEqual([]);
  });
});
