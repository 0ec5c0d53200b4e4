import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';
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

  /** Catches a new projection up from the store with small pages; its tree, and how many hashes came from the thread. */
  const catchUp = async (leafHashesFrom?: LeafHashesFrom) => {
    let taken = 0;
    const counted: LeafHashesFrom | undefined = leafHashesFrom
      ? (after) => {
          const ahead = leafHashesFrom(after);
          return {
            ...ahead,
            take: (position) => {
              const hash = ahead.take(position);
              if (hash) taken++;
              return hash;
            },
          };
        }
      : undefined;
    const projection = createProjection({
      store,
      bus: getInProcessBus(),
      logger,
      path: join(dir, `projection-${++n}.sqlite`),
      pageSize: 7,
      ...(counted ? { leafHashesFrom: counted } : {}),
    });
    await projection.start();
    const { tree } = projection;
    const result = {
      size: tree.size,
      root: toBase64(tree.root()),
      proof: tree.inclusionProof(3).map(toBase64),
      taken,
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
});
