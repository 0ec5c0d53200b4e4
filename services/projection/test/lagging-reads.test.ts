import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { closeServer, createHttpApp, createLogger, finishHttpApp, listen } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';
import { REFERENCE, submission, write } from '@ledger/ingestion/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjection, type Projection } from '../src/projection.ts';
import { readRouter } from '../src/routes.ts';

const logger = createLogger('projection-test', 'silent');

describe('reads while the projection lags behind the log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lagging-reads-'));
  const store = getSQLiteEventStore({ path: join(dir, 'ledger.sqlite') });
  let projection: Projection;
  let server: Server;
  let url: string;
  let appliedPosition: number;

  beforeAll(async () => {
    const ingestion = createIngestion({ store, logger });
    await ingestion.start();
    await ingestion.execute(write(REFERENCE, '2024-01-05T02:00:00.000Z'));
    const applied = await ingestion.execute(write([submission(99)], '2024-02-01T00:00:00.000Z'));
    appliedPosition = applied.results[0]?.position as number;
    // The projection catches up from the store at start, then follows the bus — on which nothing is
    // published here, so what is written next stays unapplied: a projection lagging behind the log.
    projection = createProjection({
      store,
      bus: getInProcessBus(),
      logger,
      path: join(dir, 'projection.sqlite'),
    });
    await projection.start();
    await ingestion.execute(
      write([
        {
          type: 'correction',
          body: { submissionId: applied.results[0]?.submissionId, value: 50, reason: 'late' },
        },
      ]),
    );
    const app = createHttpApp(logger);
    app.use(readRouter({ projection, store, freshnessTimeoutMs: 300 }));
    finishHttpApp(app);
    const listening = await listen(app, 0, '127.0.0.1');
    server = listening.server;
    url = `http://127.0.0.1:${listening.port}/v1/rankings/cchc/2023`;
  });

  afterAll(async () => {
    await closeServer(server);
    await projection.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (query: string) => {
    const started = performance.now();
    const res = await fetch(`${url}${query}`);
    const body = (await res.json()) as { rows: { unitId: string; totalExact: number }[]; detail?: string };
    return { status: res.status, body, ms: performance.now() - started };
  };

  it('answers at once for an instant or a position the projection has already passed', async () => {
    const byInstant = await get('?asOf=2024-01-20T00:00:00Z');
    const byPosition = await get(`?atPosition=${appliedPosition}`);
    for (const reply of [byInstant, byPosition]) {
      expect(reply.status).toBe(200);
      expect(reply.ms).toBeLessThan(250);
    }
    expect(byInstant.body.rows.map((r) => [r.unitId, r.totalExact])).toEqual([['747', 0]]); // the value came on 2024-02-01
    expect(byPosition.body.rows.map((r) => [r.unitId, r.totalExact])).toEqual([['747', 60]]);
  });

  it('waits, then refuses with 503, for now or an instant the projection may not have fully applied', async () => {
    for (const query of ['', `?asOf=${new Date().toISOString()}`, `?atPosition=${appliedPosition + 1}`]) {
      const reply = await get(query);
      expect(reply.status).toBe(503);
      expect(reply.body.detail).toMatch(
        /as-of-index has not reached the log.s head \(position \d+\) within [\d.]+ s: it is live at/,
      );
    }
  });
});
