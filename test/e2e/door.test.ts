import { copyFile, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from '../../services/all-in-one/test/seed.ts';
import { settled } from './consistency.ts';
import { SERVICES, type Stack } from './stack.ts';
import {
  getJson,
  postJson,
  publishCommands,
  readTopic,
  removeStack,
  startTestStack,
  waitUntil,
} from './support.ts';

/** The door of the split deployment: the commands topic, and a store restored from a backup. */
describe('the door of the split deployment', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack('door');
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await removeStack(stack);
  });

  it('puts every command record it cannot take on the rejected topic with its reason, and carries on', async () => {
    const value = (v: number, extra: object = {}) =>
      JSON.stringify({
        ...submission('747', 'on-time', v),
        body: { ...submission('747', 'on-time', v).body, ...extra },
      });
    const bad = [
      { key: '747', value: '{"type": "toString", "body": {}}' },
      { key: '747', value: '{"type": "constructor", "body": {}}' },
      { key: '747', value: '{"type": "__proto__", "body": {}}' },
      { key: '747', value: `{"type": "submission", "body": ${'['.repeat(3_000)}${']'.repeat(3_000)}}` },
      { key: '747', value: 'not JSON at all' },
      { key: '747', value: value(97, { source: 'x \ud800' }) },
      { key: '747', value: value(1e308) },
      { key: '747', value: value(97), headers: { actor: 'so-noi-vu\u001b[2J' } },
      { key: '999', value: JSON.stringify(submission('999', 'on-time', 90)) },
    ];
    await publishCommands(stack.namespace, [...bad, { key: '747', value: value(97.5) }]);

    const rejected = await readTopic(`${stack.namespace}ledger.commands.v1.rejected`, bad.length);
    const statuses = rejected.map((r) => (r.value as { problem: { status: number } }).problem.status).sort();
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 422]);
    const paths = rejected.flatMap((r) =>
      ((r.value as { problem: { errors?: { path: string }[] } }).problem.errors ?? []).map((e) => e.path),
    );
    expect(paths).toEqual(expect.arrayContaining(['body.type', 'body.source', 'body.value', 'actor']));
    // The consumer carried on: the good record after them is recorded, and ingestion never exited.
    await settled(stack, 1);
    expect((await getJson(`${stack.url('ingestion')}/healthz`)).status).toBe(200);
    expect(stack.output('ingestion')).not.toMatch(/a consumer stopped for good/);
  });

  it('after a restore from a backup, resumes relaying from the last position the restored log agrees with', async () => {
    const ingestion = () => stack.url('ingestion');
    // Some events, then every service stopped and the store backed up (WAL folded in first).
    const stopAll = async () => {
      for (const service of SERVICES) await stack.kill(service, 'SIGTERM');
      const db = new DatabaseSync(stack.storePath);
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
    };
    const startAll = async () => {
      for (const service of SERVICES) await stack.start(service);
    };
    await stopAll();
    await copyFile(stack.storePath, `${stack.storePath}.backup`);
    await startAll();
    // Three more writes, relayed and projected; then stopped, and the backup restored.
    for (const v of [91, 92, 93]) {
      const written = await postJson(
        `${ingestion()}/v1/submissions`,
        submission('748', 'on-time', v, `202${v - 90}`).body,
      );
      expect(written.status).toBe(201);
    }
    await settled(stack, 4);
    await stopAll();
    for (const suffix of ['-wal', '-shm']) await rm(stack.storePath + suffix, { force: true });
    await copyFile(`${stack.storePath}.backup`, stack.storePath);
    await startAll();

    // One more write: it reaches the projection, and a read as of now answers with it.
    const written = await postJson(`${ingestion()}/v1/submissions`, submission('754', 'on-time', 96).body);
    expect(written.status).toBe(201);
    await waitUntil('the write after the restore to be served', async () => {
      const ranking = await getJson(`${stack.url('projection')}/v1/rankings/cchc/2023`);
      const row = ranking.body.rows?.find((r: { unitId: string }) => r.unitId === '754');
      return ranking.status === 200 && row?.total > 0 ? ranking : undefined;
    });
    const relay = await waitUntil('the relay to reach the head', async () => {
      const state = (await getJson(`${ingestion()}/v1/ops/projections`)).body.projections[0];
      return state.lagEvents === 0 ? state : undefined;
    });
    expect(relay).toMatchObject({ name: 'relay', status: 'live' });
    expect(relay.checkpoint).toBeGreaterThanOrEqual(written.body.position);
    expect(stack.output('ingestion')).toMatch(/the relay checkpoint is past the head of the log/);
    expect(stack.output('projection')).toMatch(/read model dropped: it does not match the log/);
  }, 120_000);
});
