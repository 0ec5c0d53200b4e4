import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus, topics } from '@ledger/bus';
import type { RecordedEvent } from '@ledger/domain';
import { getSQLiteCheckpoints, getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestion } from '../src/ingest.ts';
import { RELAY_CHECKPOINT, startRelay } from '../src/relay.ts';
import { REFERENCE, submission, write } from '../src/testing.ts';

const logger = createLogger('relay-test', 'silent');

describe('the relay from the store to the events topic', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A ledger with the reference data and `values` submissions, and a relay that has published it all. */
  const published = async (values: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-'));
    dirs.push(dir);
    const path = join(dir, 'ledger.sqlite');
    const store = getSQLiteEventStore({ path });
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));
    for (let i = 0; i < values; i++) await ingestion.execute(write([submission(80 + i, `${2020 + i}`)]));
    const checkpoints = getSQLiteCheckpoints(join(dir, 'checkpoints.sqlite'));
    const relay = await startRelay({ store, bus: getInProcessBus(), logger, checkpoints });
    const head = (await store.head()).position;
    while ((await checkpoints.load(RELAY_CHECKPOINT)) < head) await new Promise((r) => setTimeout(r, 10));
    await relay.close();
    return { dir, path, store, ingestion, checkpoints, head };
  };

  /** Starts a relay on `store` and collects the positions it publishes. */
  const relayFrom = async (
    store: ReturnType<typeof getSQLiteEventStore>,
    checkpoints: ReturnType<typeof getSQLiteCheckpoints>,
  ) => {
    const bus = getInProcessBus();
    const seen: number[] = [];
    const consumer = await bus.consume(topics.events, {
      groupId: 'test',
      onMessages: (messages) => {
        seen.push(...messages.map((m) => (m.value as RecordedEvent).position));
      },
    });
    const relay = await startRelay({ store, bus, logger, checkpoints });
    const stop = async () => {
      await relay.close();
      await consumer.close();
      await bus.close();
    };
    return { relay, seen, stop };
  };

  const until = async (what: string, ready: () => boolean) => {
    for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!ready()) throw new Error(`timed out waiting for ${what}`);
  };

  it('resumes after its checkpoint when the log holds the event it published there', async () => {
    const { store, ingestion, checkpoints, head } = await published(2);
    const { seen, stop } = await relayFrom(store, checkpoints);
    await ingestion.execute(write([submission(99, '2030')]));
    await until('the new event', () => seen.length > 0);
    await stop();
    expect(seen).toEqual([head + 1]);
  });

  it('after a restored backup (the log shorter than its checkpoint), publishes again from the last position the log agrees with', async () => {
    const { path, store, checkpoints, head } = await published(1);
    await store.close();
    copyFileSync(path, `${path}.backup`);
    // Three more writes, published, then the backup is restored: the checkpoint is past the log.
    const later = getSQLiteEventStore({ path });
    const again = createIngestion({ store: later, logger });
    await again.start();
    const relay = await startRelay({ store: later, bus: getInProcessBus(), logger, checkpoints });
    for (let i = 0; i < 3; i++) await again.execute(write([submission(70 + i, `${2040 + i}`)]));
    const ahead = (await later.head()).position;
    while ((await checkpoints.load(RELAY_CHECKPOINT)) < ahead) await new Promise((r) => setTimeout(r, 10));
    await relay.close();
    await later.close();
    for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
    copyFileSync(`${path}.backup`, path);

    const restored = getSQLiteEventStore({ path });
    expect((await restored.head()).position).toBe(head);
    const writer = createIngestion({ store: restored, logger });
    await writer.start();
    const { relay: resumed, seen, stop } = await relayFrom(restored, checkpoints);
    const written = await writer.execute(write([submission(60, '2050')]));
    const position = written.results[0]?.position as number;
    await until('the event written after the restore', () => seen.includes(position));
    expect(resumed.state()).toMatchObject({ status: 'live', checkpoint: position });
    await stop();
    await restored.close();
  });

  it('given the state of another ledger, publishes that ledger from its start', async () => {
    const one = await published(2);
    const other = await published(3);
    await one.store.close();
    // The relay of `other` pointed at the store of `one`: its checkpoint names events `one` does not hold.
    const store = getSQLiteEventStore({ path: one.path });
    const { seen, stop } = await relayFrom(store, other.checkpoints);
    await until('the whole log', () => seen.length >= one.head);
    await stop();
    expect(seen.slice(0, one.head)).toEqual(Array.from({ length: one.head }, (_, i) => i + 1));
    await store.close();
  });

  it('says it is retrying, not live, while it cannot publish, and lives again once it can', async () => {
    const { store, ingestion, checkpoints, head } = await published(1);
    const inner = getInProcessBus();
    let broken = true;
    const bus = {
      ...inner,
      publish: async (topic: string, messages: Parameters<typeof inner.publish>[1]) => {
        if (broken) throw new Error('the broker is down');
        return inner.publish(topic, messages);
      },
    };
    const relay = await startRelay({ store, bus, logger, checkpoints });
    await ingestion.execute(write([submission(99, '2031')]));
    await until('a failed publish', () => relay.state().status === 'retrying');
    expect(relay.state()).toMatchObject({ status: 'retrying', retrying: true, checkpoint: head });
    broken = false;
    await until('the publish to go through', () => relay.state().status === 'live');
    expect(relay.state().checkpoint).toBeGreaterThan(head);
    await relay.close();
  });
});
