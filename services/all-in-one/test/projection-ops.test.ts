import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from './support.ts';

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('projection operations', () => {
  let ledger: TestLedger;
  afterEach(() => ledger.dispose());

  it('rebuilds the as-of index from the store while serving, and answers the same afterwards', async () => {
    ledger = await startTestLedger({ LEDGER_DEMO: 'on' });
    await ledger.settled();
    const before = await ledger.get('/v1/rankings/cchc-district/2023?asOf=2024-01-15');
    const started = await ledger.post('/v1/ops/projections/as-of-index/rebuild', {});
    expect(started.status).toBe(202);
    expect(started.body.rebuild.status).toBe('running');
    // reads keep being served during the rebuild
    expect((await ledger.get('/v1/rankings/cchc-district/2023?asOf=2024-01-15')).status).toBe(200);
    const done = await waitFor('the rebuild', async () => {
      const ops = await ledger.get('/v1/ops/projections');
      const p = ops.body.projections.find((x: { name: string }) => x.name === 'as-of-index');
      return p.rebuild.status === 'done' ? p : undefined;
    });
    expect(done.checkpoint).toBe(done.rebuild.checkpoint);
    expect(done.lagEvents).toBe(0);
    const after = await ledger.get('/v1/rankings/cchc-district/2023?asOf=2024-01-15');
    expect(after.body).toEqual(before.body);
    expect((await ledger.post('/v1/ops/projections/nope/rebuild', {})).status).toBe(404);
  });

  it('stops at an event it cannot apply, reports it on /readyz and in ops, and does not skip it', async () => {
    ledger = await startTestLedger();
    expect(
      (await ledger.post('/v1/units', { id: '77', name: 'Bà Rịa-Vũng Tàu', level: 'province' })).status,
    ).toBe(201);
    // Another writer records a correction of a submission that never existed (a corrupt log, say).
    const writer = getSQLiteEventStore({ path: ledger.databasePath });
    const bad = uuidv7();
    await writer.append([
      {
        streamId: 'value:2023:77:on-time',
        expectedRevision: 'any',
        events: [
          {
            eventId: bad,
            type: 'ledger.value-corrected.v1',
            schemaVersion: 1,
            data: {
              submissionId: uuidv7(),
              unitId: '77',
              indicator: 'on-time',
              period: '2023',
              value: 1,
              previousValue: 2,
              reason: 'không có',
            },
            metadata: { actor: 'somebody', correlationId: 'c', causationId: null },
          },
        ],
      },
    ]);
    const head = (await writer.head()).position;
    await writer.close();

    // Scoring stops at the same event, on its own thread: wait for the projection's own stop.
    const ready = await waitFor('the projection to stop', async () => {
      const r = await ledger.get('/readyz');
      const projection = r.body.projections?.find((p: { name: string }) => p.name === 'as-of-index');
      return r.status === 503 && projection?.status === 'failed' ? r : undefined;
    });
    expect(ready.contentType).toContain('application/problem+json');
    const failed = ready.body.projections.find((p: { name: string }) => p.name === 'as-of-index');
    expect(failed).toMatchObject({
      status: 'failed',
      checkpoint: head - 1,
      error: { position: head, eventId: bad },
    });
    const ops = await ledger.get('/v1/ops/projections');
    expect(ops.body.projections[0]).toMatchObject({ status: 'failed', lagEvents: 1 });
    // reads say the projection is not current rather than serve a ranking that skipped an event
    expect((await ledger.get('/v1/units')).status).toBe(503);
  });
});
