import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { RecordedEvent } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { getKurrentDBEventStore } from '@ledger/event-store-kurrentdb';
import { FakeKurrentDB } from '@ledger/event-store-kurrentdb/testing';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { generateKey } from '@ledger/transparency-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ledger, runInProcess } from './in-process.ts';
import { batchFile, ledgerScript, ORIGIN, recordCheckpoint } from './ledger-script.ts';
import { runCliWith } from './run-cli.ts';

/**
 * The CLI reads through the event-store port: one ledger, once in a SQLite file and once in the
 * KurrentDB adapter over FakeKurrentDB (an in-memory stand-in for the server, not a server), gives
 * the same answers, byte for byte, to everything an auditor runs. The CLI runs in this process,
 * with the store injected; the SQLite ledger is opened from its LEDGER_STORE as in production.
 */

/** A LEDGER_STORE the CLI parses as KurrentDB; the tests' opener puts a stand-in behind it. */
const KURRENTDB = 'kurrentdb://kurrentdb.invalid:2113?tls=false';

/** The ledger in a stand-in KurrentDB, each run of the CLI opening its own adapter, as a process would. */
const onFake = (fake: FakeKurrentDB, env: NodeJS.ProcessEnv = {}): Ledger => ({
  env: { LEDGER_STORE: KURRENTDB, ...env },
  openStore: () => getKurrentDBEventStore({ client: fake.client() }),
});

const succeeded = (run: { code: number; stdout: string; stderr: string }) => {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
};

const script = ledgerScript();

/** Builds the script's ledger through the CLI's own writes: three imports and a seal. */
async function build(ledger: Ledger, dir: string, name: string) {
  succeeded(
    await runInProcess(ledger, 'import', await batchFile(dir, `${name}-reference`, script.reference)),
  );
  const submitted = succeeded(
    await runInProcess(
      ledger,
      'import',
      await batchFile(dir, `${name}-submissions`, script.submissions),
      '--json',
    ),
  );
  const { results } = JSON.parse(submitted) as { results: { submissionId: string }[] };
  const correction = script.correction(results[script.corrected]?.submissionId as string);
  succeeded(await runInProcess(ledger, 'import', await batchFile(dir, `${name}-correction`, correction)));
  succeeded(await runInProcess(ledger, 'seal', '--reason', 'history imported'));
}

/**
 * Appends a log, event by event, to another store: the same ids, streams, revisions, positions and
 * recordedAts (the store's clock set to each event's), so that the two logs hash alike.
 */
async function copyLog(log: readonly RecordedEvent[], open: (now: () => number) => EventStore) {
  let clock = 0;
  const store = open(() => clock);
  try {
    for (const e of log) {
      clock = Date.parse(e.recordedAt);
      const { eventId, type, schemaVersion, data, metadata } = e;
      await store.append([
        {
          streamId: e.streamId,
          expectedRevision: e.revision - 1,
          events: [{ eventId, type, schemaVersion, data, metadata }],
        },
      ]);
    }
  } finally {
    await store.close();
  }
}

/** The whole log of a store, which it then closes. */
async function readLog(store: EventStore): Promise<RecordedEvent[]> {
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

let dir: string;
const key = generateKey(ORIGIN);
/** The ledger built through the CLI on SQLite, with a signed checkpoint recorded in it. */
let sqlitePath: string;
let sqlite: Ledger;
/** The same log, copied into the KurrentDB adapter over a stand-in. */
const copy = new FakeKurrentDB();
const kurrentdb = onFake(copy);
let log: RecordedEvent[];
/** The kept checkpoint an auditor holds: the one recorded in the log. */
let keptCheckpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-cli-every-store-'));
  sqlitePath = join(dir, 'ledger.sqlite');
  const created = getSQLiteEventStore({ path: sqlitePath });
  await created.head();
  await created.close();
  sqlite = { env: { LEDGER_STORE: `sqlite:${sqlitePath}` } };
  await build(sqlite, dir, 'sqlite');
  const store = getSQLiteEventStore({ path: sqlitePath });
  try {
    keptCheckpoint = join(dir, 'kept.checkpoint');
    await writeFile(keptCheckpoint, await recordCheckpoint(store, key.signerKey));
  } finally {
    await store.close();
  }
  log = await readLog(getSQLiteEventStore({ path: sqlitePath }));
  await copyLog(log, (now) => getKurrentDBEventStore({ client: copy.client(), now }));
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the same command line on both ledgers: its answer, which must be the same from both. */
async function onBoth(...args: string[]) {
  const fromSqlite = await runInProcess(sqlite, ...args);
  expect(await runInProcess(kurrentdb, ...args)).toEqual(fromSqlite);
  return fromSqlite;
}

describe('one ledger on SQLite and on KurrentDB (a stand-in): the CLI answers alike', () => {
  it('reads the same log from both', async () => {
    expect(log.length).toBeGreaterThan(15);
    expect(await readLog(getKurrentDBEventStore({ client: copy.client() }))).toEqual(log);
  });

  it('verify: the log matches the checkpoint it records, and extends the one kept', async () => {
    const verified = JSON.parse(succeeded(await onBoth('verify', '--key', key.verifierKey, '--json')));
    expect(verified).toMatchObject({ verified: true, size: log.length, recordedCheckpoints: 1 });
    const extended = succeeded(
      await onBoth('verify', '--key', key.verifierKey, '--checkpoint', keptCheckpoint),
    );
    expect(extended).toMatch(new RegExp(`^verified: ${log.length} events`));
  });

  const ranking = ['--methodology', script.methodologyId, '--period', '2023'];

  it('replay --json: the same ranking, stamped with the same position and log root', async () => {
    const replay = JSON.parse(
      succeeded(await onBoth('replay', ...ranking, '--as-of', '2024-01-31', '--json')),
    );
    expect(replay.rows.map((r: { unitId: string }) => r.unitId)).toEqual(['754', '747', '748']);
    expect(replay.log.size).toBe(replay.position);
    const before = JSON.parse(
      succeeded(await onBoth('replay', ...ranking, '--as-of', '2024-01-15', '--json')),
    );
    expect(before.rows.map((r: { unitId: string }) => r.unitId)).toEqual(['747', '748', '754']);
    // Ranked from the leaves of a checkpoint kept, after checking the log against it.
    succeeded(await onBoth('replay', ...ranking, '--checkpoint', keptCheckpoint, '--key', key.verifierKey));
  });

  it('diff --json: the correction, as the cause of the change', async () => {
    const diff = JSON.parse(
      succeeded(await onBoth('diff', ...ranking, '--from', '2024-01-15', '--to', '2024-01-31', '--json')),
    );
    const phuMy = diff.changes.find((c: { unitId: string }) => c.unitId === '754');
    expect(phuMy).toMatchObject({ rankFrom: 3, rankTo: 1 });
    expect(phuMy.causes.map((e: { type: string }) => e.type)).toEqual(['ledger.value-corrected.v1']);
    succeeded(await onBoth('diff', ...ranking, '--from', '2024-01-15', '--to', '2024-01-31'));
  });

  it('proof: the same inclusion and consistency proofs', async () => {
    const inclusion = JSON.parse(succeeded(await onBoth('proof', '--position', '3')));
    expect(inclusion).toMatchObject({ position: 3, treeSize: log.length });
    succeeded(await onBoth('proof', '--from', '5', '--to', String(log.length)));
  });

  it('export: the same CSV and JSON', async () => {
    const csv = succeeded(await onBoth('export', ...ranking, '--as-of', '2024-01-31'));
    expect(csv.split('\n')[1]).toMatch(/^1,754,TX. Phú Mỹ,/);
    succeeded(await onBoth('export', ...ranking, '--as-of', '2024-01-31', '--format', 'json'));
  });

  it('on KurrentDB, with no file beside the store, says how to give the verifier key (exit 2)', async () => {
    const run = await runInProcess(kurrentdb, 'verify');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ledger: no verifier key: .*a KurrentDB store has no log-verifier.key/);
    expect(run.stderr).toMatch(/--key or --key-file, or set LEDGER_LOG_VERIFIER_KEY/);
    const fromEnv = await runInProcess(onFake(copy, { LEDGER_LOG_VERIFIER_KEY: 'not-a-key' }), 'verify');
    expect(fromEnv.stderr).toMatch(/LEDGER_LOG_VERIFIER_KEY is not a verifier key/);
  });
});

describe('the CLI writes through the port too', () => {
  it('import and seal build the same rankings on KurrentDB (a stand-in) as on SQLite', async () => {
    const fake = new FakeKurrentDB();
    await build(onFake(fake), dir, 'kurrentdb');
    const ranking = ['--methodology', script.methodologyId, '--period', '2023', '--as-of', '2024-01-31'];
    // Event ids differ between the two builds: compare what holds none.
    for (const args of [
      ['export', ...ranking],
      ['replay', ...ranking],
    ]) {
      const fromKurrentdb = succeeded(await runInProcess(onFake(fake), ...args));
      expect(fromKurrentdb).toBe(succeeded(await runInProcess(sqlite, ...args)));
    }
  });

  it('access bootstraps the owner on KurrentDB (a stand-in) as on SQLite', async () => {
    const fake = new FakeKurrentDB();
    const owners = [];
    for (const name of ['kurrentdb', 'sqlite']) {
      const dataDir = await mkdtemp(join(dir, `access-${name}-`));
      const path = join(dataDir, 'ledger.sqlite');
      if (name === 'sqlite') await getSQLiteEventStore({ path }).close();
      const ledger: Ledger =
        name === 'sqlite'
          ? { env: { LEDGER_DATA_DIR: dataDir } }
          : { ...onFake(fake), env: { LEDGER_STORE: KURRENTDB, LEDGER_DATA_DIR: dataDir } };
      succeeded(await runInProcess(ledger, 'access', 'bootstrap'));
      owners.push(JSON.parse(succeeded(await runInProcess(ledger, 'access', 'principals', '--json'))));
    }
    expect(owners[0]).toEqual(owners[1]);
    expect(owners[0]).toMatchObject([{ principalId: 'svc:owner' }]);
  });
});

describe('where the CLI finds the store', () => {
  it('exits 2 naming LEDGER_STORE when it is neither sqlite:<path> nor a KurrentDB connection string', async () => {
    const run = await runInProcess({ env: { LEDGER_STORE: 'postgres://db/ledger' } }, 'verify');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'ledger: LEDGER_STORE="postgres://db/ledger": must be sqlite:<path> or a KurrentDB connection string (kurrentdb://host:2113?tls=false)\n',
    );
  });

  it('exits 2 when the SQLite file is not there, by LEDGER_STORE or by LEDGER_DATA_DIR', async () => {
    const missing = join(dir, 'nowhere', 'ledger.sqlite');
    for (const env of [{ LEDGER_STORE: `sqlite:${missing}` }, { LEDGER_DATA_DIR: join(dir, 'nowhere') }]) {
      const run = await runInProcess({ env }, 'proof', '--position', '1');
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`ledger: no ledger at ${missing} (set LEDGER_DATA_DIR or LEDGER_STORE)\n`);
    }
  });

  it('as its own process too (the entry point maps the failure to its exit code)', async () => {
    const run = await runCliWith({ LEDGER_STORE: 'kurrentdb:/one-slash' }, 'verify');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ledger: LEDGER_STORE="kurrentdb:\/one-slash": must be sqlite:<path>/);
  });
});

/** Last: it alters both ledgers. */
describe('a log altered in the store', () => {
  it('verify fails (exit 1) on both when an event was altered in the store, naming the checkpoint', async () => {
    const altered = log.find((e) => e.type === 'ledger.value-submitted.v1') as RecordedEvent;
    const db = new DatabaseSync(sqlitePath);
    try {
      const row = db.prepare('SELECT data FROM events WHERE position = ?').get(altered.position) as {
        data: string;
      };
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        JSON.stringify({ ...JSON.parse(row.data), value: 100 }),
        altered.position,
      );
    } finally {
      db.close();
    }
    // The stand-in hands out the objects it stores: altering what it read alters what it holds.
    for await (const { event } of copy.client().readAll())
      if (event?.id === altered.eventId) (event.data as { value: number }).value = 100;

    const failed = await onBoth('verify', '--key', key.verifierKey);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ledger: the checkpoint recorded at position \d+: .*an event was altered/);
  });
});

/**
 * A test-only key, fixed so that every run against one server signs with the same key: the CLI
 * verifies every checkpoint the log records, those of earlier runs too.
 */
const SERVER_TEST_KEY = {
  signerKey: 'PRIVATE+KEY+indicator-ledger.example/log+900976f3+AUH4IQ2NPZOb2wjHix+OT0wvS3Te4if4/wyNHB1QyyPX',
  verifierKey: 'indicator-ledger.example/log+900976f3+AaFEB7ncGIe5jrQleiEpQ7RUujIIxcOe/nVdHFtZV/91',
};

/**
 * The CLI as its own process on a KurrentDB server, LEDGER_STORE its connection string: where
 * KURRENTDB_URL names one (as for the adapter's contract suite); else reported as skipped, with the
 * reason in the suite's name. The CLI, like the services, reads the server's default namespace,
 * which may hold earlier runs' ledgers: this run's ids carry a fresh tag, and its answers are
 * compared with the same command lines run in this process on a connection of its own. A server the
 * contract suite's namespaced runs share is not one to use: the default namespace reads them too.
 */
const SERVER = process.env.KURRENTDB_URL;
if (!SERVER) {
  describe.skip('the CLI as its own process on a KurrentDB server (skipped: no KURRENTDB_URL)', () => {
    it('imports, verifies, replays, proves and exports with LEDGER_STORE=kurrentdb://…', () => undefined);
  });
} else {
  describe('the CLI as its own process on a KurrentDB server (KURRENTDB_URL)', () => {
    it('imports, verifies, replays, proves and exports with LEDGER_STORE=kurrentdb://…', async () => {
      const vars = { LEDGER_STORE: SERVER };
      const child = (...args: string[]) => runCliWith(vars, ...args);
      const tag = `-${randomUUID().slice(0, 8)}`;
      // At the clock: the server's ledger may be sealed, or hold history later than the script's.
      const server = ledgerScript(tag, true);
      succeeded(await child('import', await batchFile(dir, `server${tag}-reference`, server.reference)));
      const submitted = succeeded(
        await child('import', await batchFile(dir, `server${tag}-submissions`, server.submissions), '--json'),
      );
      const { results } = JSON.parse(submitted) as { results: { submissionId: string }[] };
      const correction = server.correction(results[server.corrected]?.submissionId as string);
      succeeded(await child('import', await batchFile(dir, `server${tag}-correction`, correction)));
      const store = getKurrentDBEventStore({ connectionString: SERVER });
      try {
        await recordCheckpoint(store, SERVER_TEST_KEY.signerKey);
      } finally {
        await store.close();
      }

      const verify = ['verify', '--key', SERVER_TEST_KEY.verifierKey, '--json'];
      expect(JSON.parse(succeeded(await child(...verify)))).toMatchObject({ verified: true });
      // This run's province only: the districts of earlier runs are ranked by the same level.
      const ranking = [
        ...['--methodology', server.methodologyId, '--period', '2023', '--parent-id', `77${tag}`],
        ...['--as-of', '2999-12-31'],
      ];
      const replay = JSON.parse(succeeded(await child('replay', ...ranking, '--json')));
      expect(replay.rows.map((r: { unitId: string }) => r.unitId)).toEqual([
        `754${tag}`,
        `747${tag}`,
        `748${tag}`,
      ]);
      // In this process, through the adapter LEDGER_STORE opens by default: the same answers.
      const inProcess: Ledger = { env: vars };
      for (const args of [
        verify,
        ['replay', ...ranking, '--json'],
        ['export', ...ranking],
        ['proof', '--from', '1'],
      ])
        expect(await child(...args)).toEqual(await runInProcess(inProcess, ...args));

      const keyless = await child('verify');
      expect(keyless.code).toBe(2);
      expect(keyless.stderr).toMatch(/--key or --key-file, or set LEDGER_LOG_VERIFIER_KEY/);
    }, 120_000);
  });
}
