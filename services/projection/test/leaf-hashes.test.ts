import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion, startRelay } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { toBase64 } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeafHashesFrom, sqliteLeafHashes } from '../src/leaf-hashes.ts';
import { createProjection } from '../src/projection.ts';

const logger = createLogger('projection-test', 'silent');

describe('a catch-up with the log hashed on another thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leaf-hashes-'));
  const storePath = join(dir, 'ledger.sqlite');
  const store = getSQLiteEventStore({ path: storePath });
  let n = 0;

  /** Wraps a thread so that the test sees how many hashes the projection took from it. */
  const counting = (leafHashesFrom: LeafHashesFrom) => {
    const counter = { taken: 0 };
    const from: LeafHashesFrom = (after, options) => {
      const ahead = leafHashesFrom(after, options);
      return {
        ...ahead,
        take: (position) => {
          const hash = ahead.take(position);
          if (hash) counter.taken++;
          return hash;
        },
      };
    };
    return { from, counter };
  };

  /** Catches a new projection up from the store with small pages; its tree, and how many hashes came from the thread. */
  const catchUp = async (leafHashesFrom?: LeafHashesFrom) => {
    const counted = leafHashesFrom ? counting(leafHashesFrom) : undefined;
    const projection = createProjection({
      store,
      bus: getInProcessBus(),
      logger,
      path: join(dir, `projection-${++n}.sqlite`),
      pageSize: 7,
      ...(counted ? { leafHashesFrom: counted.from } : {}),
    });
    await projection.start();
    const { tree } = projection;
    const result = {
      size: tree.size,
      root: toBase64(tree.root()),
      proof: tree.inclusionProof(3).map(toBase64),
      taken: counted?.counter.taken ?? 0,
    };
    await projection.stop();
    return result;
  };

  beforeAll(async () => {
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write(REFERENCE));
    for (let year = 2000; year < 2060; year++)
      await ingestion.execute(write([submission(50 + (year % 50), `${year}`)]));
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the same tree as hashing on the main thread, with every hash from the thread', async () => {
    const alone = await catchUp();
    const ahead = await catchUp(sqliteLeafHashes(storePath, logger, 7));
    expect(alone.size).toBe((await store.head()).position);
    expect(ahead).toEqual({ ...alone, taken: alone.size });
  });

  it('hashes on the main thread when the thread cannot read the log, and the tree is the same', async () => {
    const alone = await catchUp();
    const broken = await catchUp(sqliteLeafHashes(join(dir, 'missing', 'ledger.sqlite'), logger, 7));
    expect(broken).toEqual({ ...alone, taken: 0 });
  });

  /** A projection live on a relay of the store, hashing on a thread with pages of 7; and an ingestion to write with. */
  const live = async () => {
    const bus = getInProcessBus();
    const relay = await startRelay({ store, bus, logger, after: (await store.head()).position });
    const counted = counting(sqliteLeafHashes(storePath, logger, 7));
    const projection = createProjection({
      store,
      bus,
      logger,
      path: join(dir, `projection-${++n}.sqlite`),
      pageSize: 7,
      leafHashesFrom: counted.from,
    });
    await projection.start();
    const caughtUp = { size: projection.tree.size, taken: counted.counter.taken };
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    const stop = async () => {
      await projection.stop();
      await relay.close();
      await bus.close();
    };
    return { projection, counted, caughtUp, ingestion, stop };
  };

  it('follows the log once live: what the bus delivers is hashed on the thread too', async () => {
    const { projection, counted, caughtUp, ingestion, stop } = await live();
    for (let year = 2060; year < 2070; year++)
      await ingestion.execute(write([submission(70 + (year % 10), `${year}`)]));
    const head = (await store.head()).position;
    expect(await projection.waitFor(head, 5_000)).toBe(true);
    expect(head).toBeGreaterThan(caughtUp.size);
    expect(counted.counter.taken - caughtUp.taken).toBe(head - caughtUp.size);
    const tree = { size: projection.tree.size, root: toBase64(projection.tree.root()) };
    await stop();
    const alone = await catchUp();
    expect(tree).toEqual({ size: alone.size, root: alone.root });
  });

  it('takes a live batch longer than the pages the thread may hash ahead without stalling', async () => {
    const { projection, counted, caughtUp, ingestion, stop } = await live();
    // One append of 60 events reaches the projection as one batch: nine of the thread's pages of
    // 7, more than the 4 it may post before the projection takes them.
    await ingestion.execute(write(Array.from({ length: 60 }, (_, i) => submission(i, `${2100 + i}`))));
    const head = (await store.head()).position;
    expect(head - caughtUp.size).toBe(60);
    expect(await projection.waitFor(head, 5_000)).toBe(true);
    expect(counted.counter.taken - caughtUp.taken).toBe(60);
    await stop();
  });
});
