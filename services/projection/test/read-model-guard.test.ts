import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { getInProcessBus } from '@ledger/bus';
import { viewAt } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { createMerkleTree, eventLeafHashes } from '@ledger/transparency-log';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection } from '../src/projection.ts';

const logger = createLogger('projection-test', 'silent');

describe('a persisted read model that is not a prefix of the log is dropped and rebuilt at start', () => {
  let dir: string;
  let ledger: string;
  let backup: string;
  let readModel: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'read-model-guard-'));
    ledger = join(dir, 'ledger.sqlite');
    backup = join(dir, 'backup.sqlite');
    readModel = join(dir, 'projection.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Records the reference data and a value of 80, backs the log up, then records 90 and 95 and projects them. */
  const projectedBeyondTheBackup = async () => {
    const store = getSQLiteEventStore({ path: ledger });
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write([...REFERENCE, submission(80)]));
    const copy = new DatabaseSync(ledger);
    copy.exec(`VACUUM INTO '${backup}'`);
    copy.close();
    await ingestion.execute(write([submission(90, '2024')]));
    await ingestion.execute(write([submission(95, '2025')]));
    const projection = createProjection({ store, bus: getInProcessBus(), logger, path: readModel });
    await projection.start();
    const checkpoint = projection.state().checkpoint;
    await projection.stop();
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(ledger + suffix, { force: true });
    return checkpoint;
  };

  /** Starts a projection on the kept read model and checks it against the log it now serves. */
  const restart = async (restored: ReturnType<typeof getSQLiteEventStore>) => {
    const projection = createProjection({ store: restored, bus: getInProcessBus(), logger, path: readModel });
    await projection.start();
    const log = await restored.readAll();
    expect(projection.state()).toMatchObject({ status: 'live', checkpoint: log.at(-1)?.position });
    expect(projection.tree.root()).toEqual(createMerkleTree(eventLeafHashes(log)).root());
    return projection;
  };

  it('the log restored from an older backup: the read model is ahead of it', async () => {
    const checkpoint = await projectedBeyondTheBackup();
    const restored = getSQLiteEventStore({ path: backup });
    expect((await restored.head()).position).toBeLessThan(checkpoint);

    const projection = await restart(restored);
    const now = viewAt(projection.index);
    expect(now.value('747', 'on-time', '2023')?.value).toBe(80);
    expect(now.value('747', 'on-time', '2024')).toBeUndefined();
    await projection.stop();
    await restored.close();
  });

  it('the restored log has grown past the read model again, with other events at its positions', async () => {
    const checkpoint = await projectedBeyondTheBackup();
    const restored = getSQLiteEventStore({ path: backup });
    const ingestion = createIngestion({ store: restored, logger });
    await ingestion.start();
    await ingestion.execute(write([submission(60, '2026')]));
    await ingestion.execute(write([submission(61, '2027')]));
    await ingestion.execute(write([submission(62, '2028')]));
    expect((await restored.head()).position).toBeGreaterThanOrEqual(checkpoint);

    const projection = await restart(restored);
    const now = viewAt(projection.index);
    expect(now.value('747', 'on-time', '2024')).toBeUndefined();
    expect(now.value('747', 'on-time', '2028')?.value).toBe(62);
    await projection.stop();
    await restored.close();
  });

  it('a read model that matches the log is kept', async () => {
    const store = getSQLiteEventStore({ path: ledger });
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write([...REFERENCE, submission(80)]));
    const first = createProjection({ store, bus: getInProcessBus(), logger, path: readModel });
    await first.start();
    await first.stop();
    // A row no fold writes: it survives only if the file is kept.
    const file = new DatabaseSync(readModel);
    file.exec("INSERT INTO meta (key, value) VALUES ('kept', 1)");
    file.close();

    const again = await restart(store);
    const reopened = new DatabaseSync(readModel);
    expect(reopened.prepare("SELECT value FROM meta WHERE key = 'kept'").get()).toEqual({ value: 1 });
    reopened.close();
    await again.stop();
    await store.close();
  });
});
