import { randomUUID } from 'node:crypto';
import type { EventStore } from '@ledger/event-store';
import { type ContractFixture, eventStoreContract } from '@ledger/event-store/testing';
import { afterAll, describe, it } from 'vitest';
import { getKurrentDBEventStore } from '../src/index.ts';
import { FakeKurrentDB } from './fake-kurrentdb.ts';

/**
 * The event-store contract, twice:
 * 1. against a real KurrentDB server: KURRENTDB_URL if set, else a container (testcontainers) when a
 *    Docker engine answers, else every test is reported as skipped, with the reason in the suite name;
 * 2. against FakeKurrentDB, an in-memory stand-in for the server behind the client surface the adapter
 *    uses. That run exercises the adapter's own logic (positions, recordedAt, idempotency, atomic
 *    appends, subscriptions) everywhere, but it is not evidence about the real server.
 */

const IMAGE = process.env.KURRENTDB_IMAGE ?? 'docker.kurrent.io/kurrent-latest/kurrentdb:latest';

type Server = { kind: 'url'; url: string } | { kind: 'docker' } | { kind: 'none'; reason: string };

async function findServer(): Promise<Server> {
  const url = process.env.KURRENTDB_URL;
  if (url) return { kind: 'url', url };
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000).unref()),
    ]);
    return { kind: 'docker' };
  } catch {
    return { kind: 'none', reason: 'no KURRENTDB_URL and no Docker engine' };
  }
}

const server = await findServer();

/** Each test gets its own namespace: an empty ledger on a shared server. */
const freshNamespace = (): string => `t${randomUUID().replaceAll('-', '')}.`;

if (server.kind === 'none') {
  describe.skip(`KurrentDB contract (skipped: ${server.reason})`, () => {
    eventStoreContract('kurrentdb (real server)', async () => {
      throw new Error('unreachable');
    });
    it('runs against KURRENTDB_URL or a testcontainers KurrentDB', () => undefined);
  });
} else {
  describe(`KurrentDB contract (${server.kind === 'url' ? 'KURRENTDB_URL' : `testcontainers ${IMAGE}`})`, () => {
    let connection: Promise<{ url: string; stop: () => Promise<void> }> | undefined;
    const connect = () => {
      connection ??= (async () => {
        if (server.kind === 'url') return { url: server.url, stop: async () => undefined };
        const { KurrentDbContainer } = await import('@testcontainers/kurrentdb');
        const container = await new KurrentDbContainer(IMAGE).start();
        return { url: container.getConnectionString(), stop: async () => void (await container.stop()) };
      })();
      return connection;
    };
    afterAll(async () => {
      await (await connection)?.stop();
    }, 60_000);

    eventStoreContract('kurrentdb (real server)', async (): Promise<ContractFixture> => {
      const { url } = await connect();
      const namespace = freshNamespace();
      let clock = Date.now();
      // Each store opens (and closes) its own client: a second store is a second connection.
      const open = (): EventStore =>
        getKurrentDBEventStore({ connectionString: url, namespace, now: () => clock, pollIntervalMs: 100 });
      const store = open();
      return {
        store,
        setNow: (ms) => {
          clock = ms;
        },
        reopen: async () => open(),
        cleanup: () => store.close(),
      };
    });
  });
}

describe('KurrentDB adapter over FakeKurrentDB (an in-memory stand-in, not a server)', () => {
  eventStoreContract('kurrentdb adapter (fake server)', async (): Promise<ContractFixture> => {
    const fake = new FakeKurrentDB();
    let clock = Date.now();
    const open = () =>
      getKurrentDBEventStore({
        client: fake.client(),
        namespace: 'contract.',
        now: () => clock,
        pollIntervalMs: 50,
      });
    const store = open();
    return {
      store,
      setNow: (ms) => {
        clock = ms;
      },
      reopen: async () => open(),
      cleanup: () => store.close(),
    };
  });
});
