import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { DuplicateEventId } from '@ledger/event-store';
import {
  type ContractFixture,
  eventStoreContract,
  newEvent,
  newEvents,
  request,
} from '@ledger/event-store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getSQLiteEventStore } from '../src/index.ts';

const run = promisify(execFile);
const APPEND_MANY = new URL('./fixtures/append-many.ts', import.meta.url).pathname;

async function fileFixture(): Promise<ContractFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-sqlite-'));
  const path = join(dir, 'events.db');
  let clock = Date.now();
  const open = () => getSQLiteEventStore({ path, now: () => clock, pollIntervalMs: 20 });
  const store = open();
  return {
    store,
    setNow: (ms) => {
      clock = ms;
    },
    reopen: async () => open(),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function memoryFixture(): Promise<ContractFixture> {
  let clock = Date.now();
  const store = getSQLiteEventStore({ path: ':memory:', now: () => clock, pollIntervalMs: 20 });
  return {
    store,
    setNow: (ms) => {
      clock = ms;
    },
    cleanup: () => store.close(),
  };
}

eventStoreContract('sqlite (file)', fileFixture);
eventStoreContract('sqlite (:memory:)', memoryFixture);

describe('sqlite event store', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-sqlite-'));
    path = join(dir, 'events.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps events across close and reopen, and continues positions and revisions', async () => {
    const first = getSQLiteEventStore({ path });
    const written = await first.append([request('unit-1', 'no_stream', newEvents(3))]);
    await first.close();

    const second = getSQLiteEventStore({ path });
    try {
      expect(await second.readAll()).toHaveLength(3);
      expect((await second.head()).position).toBe(3);
      const more = await second.append([request('unit-1', 2, [newEvent()])]);
      expect(more.events[0]).toMatchObject({ position: 4, revision: 3 });
      expect(written.events.map((e) => e.position)).toEqual([1, 2, 3]);
    } finally {
      await second.close();
    }
  });

  it('puts the file in WAL mode', async () => {
    const store = getSQLiteEventStore({ path });
    await store.close();
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: 1 });
    } finally {
      db.close();
    }
  });

  it('refuses a file with a schema version it does not know', () => {
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => getSQLiteEventStore({ path })).toThrow(/schema version 99/);
  });

  it('two processes appending to one file at once lose nothing and share one dense order', async () => {
    const perProcess = 300;
    const startAt = Date.now() + 500;
    const children = ['first', 'second'].map((label) =>
      run(process.execPath, [APPEND_MANY, path, label, String(perProcess), String(startAt)]),
    );
    const outputs = await Promise.all(children);
    expect(outputs.map(({ stdout }) => JSON.parse(stdout))).toEqual([
      { label: 'first', recorded: perProcess },
      { label: 'second', recorded: perProcess },
    ]);

    const store = getSQLiteEventStore({ path });
    try {
      const log = await store.readAll();
      expect(log).toHaveLength(2 * perProcess);
      expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
      expect(log.map((e) => e.revision)).toEqual(log.map((_, i) => i));
      const stamps = log.map((e) => e.recordedAt);
      expect(stamps).toEqual([...stamps].sort());
      for (const label of ['first', 'second']) {
        const own = log.map((e) => e.data as { label: string; i: number }).filter((d) => d.label === label);
        expect(own.map((d) => d.i)).toEqual(own.map((_, i) => i));
      }
      const labels = log.map((e) => (e.data as { label: string }).label);
      const switches = labels.filter((label, i) => i > 0 && label !== labels[i - 1]).length;
      expect(switches, 'the two processes should have interleaved').toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  describe('choices the port leaves to the adapter', () => {
    it('refuses the same event id twice in one append with DuplicateEventId', async () => {
      const store = getSQLiteEventStore({ path: ':memory:' });
      const event = newEvent();
      await expect(store.append([request('s', 'any', [event, event])])).rejects.toBeInstanceOf(
        DuplicateEventId,
      );
      expect((await store.head()).position).toBe(0);
      await store.close();
    });

    it('refuses a malformed recordedAt with a TypeError, before taking the write lock', async () => {
      const store = getSQLiteEventStore({ path: ':memory:' });
      for (const recordedAt of ['yesterday', '2025-03-01', '2025-03-01T08:00:00']) {
        await expect(
          store.append([request('s', 'any', [newEvent()])], { recordedAt }),
        ).rejects.toBeInstanceOf(TypeError);
      }
      await store.close();
    });

    it('rejects calls once closed, and closing leaves no timer behind', async () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const store = getSQLiteEventStore({ path, pollIntervalMs: 10 });
      store.subscribe({ after: 0, onEvents: () => {} });
      store.subscribe({ after: 0, onEvents: () => {} });
      await store.close();
      expect(timers()).toBe(before);
      await expect(store.readAll()).rejects.toThrow(/closed/);
      await expect(store.append([request('s', 'any', [newEvent()])])).rejects.toThrow(/closed/);
      await store.close();
    });
  });
});
