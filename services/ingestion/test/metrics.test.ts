/**
 * `/metrics` of the ingestion service as runService serves it (one module on the shell, the relay
 * checkpointed, commands taken from the bus), on the in-process bus instead of Kafka: the Kafka
 * path itself is the same bus port (test/e2e/split.test.ts runs the services over a broker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus, topics } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { openCheckpoints, parseExposition, type Served, serve } from '@ledger/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { mountIngestion } from '../src/mount.ts';
import { TWO_DISTRICTS } from '../src/testing.ts';

const until = async (what: string, probe: () => Promise<boolean>, ms = 5_000) => {
  for (const deadline = Date.now() + ms; !(await probe()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the ingestion service’s /metrics', () => {
  let served: Served | undefined;
  let dir = '';
  afterEach(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts HTTP and bus writes, bus refusals and failures, and the relay’s lag', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ingestion-metrics-'));
    const path = join(dir, 'ledger.sqlite');
    const bus = getInProcessBus();
    served = await serve({
      service: 'ingestion',
      port: 0,
      host: '127.0.0.1',
      context: {
        logger: createLogger('test', 'silent'),
        store: getSQLiteEventStore({ path }),
        storeLocation: { kind: 'sqlite', path },
        bus,
        stateDir: dir,
        checkpoints: (owner) => openCheckpoints(dir, owner),
        transparencyLog: { origin: 'test/log', intervalSeconds: 0 },
        crash: () => undefined,
        authenticator: undefined,
        reads: 'public',
      },
      mount: async (ctx) => {
        // A consumer whose handler fails, on the bus as the modules get it.
        await ctx.bus.consume('test.failing', {
          groupId: 'test',
          onMessages: () => {
            throw new Error('this handler fails');
          },
        });
        return [await mountIngestion(ctx, { commandsRecheckMs: 0 })];
      },
    });
    const url = served.url;
    const scrape = async () => {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };

    const posted = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recordedAt: '2024-01-05T09:00:00+07:00', commands: TWO_DISTRICTS }),
    });
    expect(posted.status).toBe(201);
    // A record the command consumer refuses (no such command type), and one it records.
    await bus.publish(topics.commands, [
      { key: '747', value: { type: 'no-such-command', body: {} }, headers: {} },
      {
        key: '747',
        value: {
          type: 'submission',
          body: { unitId: '747', indicator: 'on-time', period: '2023', value: 90 },
        },
        headers: {},
      },
    ]);
    await bus.publish('test.failing', [{ key: 'k', value: 1, headers: {} }]);

    await until('the record refused and the relay level with the log', async () => {
      const m = await scrape();
      return (
        m.value('ledger_commands_rejected_total', { source: 'kafka' }) === 1 &&
        m.value('ledger_appends_total', { writer: 'ingestion' }) >= 2 &&
        m.value('ledger_follower_lag_events', { follower: 'relay' }) === 0
      );
    });
    const metrics = await scrape();
    expect(metrics.value('ledger_commands_rejected_total', { reason: 'invalid', source: 'kafka' })).toBe(1);
    // The batch (one append, its events) and the record, each one append.
    expect(metrics.value('ledger_appends_total', { writer: 'ingestion' })).toBe(2);
    // Every event of the log is ingestion's here (the record's idempotency record and the seal among them).
    const { head } = (await (await fetch(`${url}/v1/ops/projections`)).json()) as {
      head: { position: number };
    };
    expect(head.position).toBeGreaterThan(TWO_DISTRICTS.length + 1);
    expect(metrics.value('ledger_events_appended_total', { writer: 'ingestion' })).toBe(head.position);
    expect(metrics.value('ledger_follower_up', { follower: 'relay' })).toBe(1);
    expect(metrics.find('ledger_follower_status', { follower: 'relay', status: 'live' })).toHaveLength(1);
    // The relay published what was recorded; the rejected record went to the dead-letter topic.
    expect(metrics.value('ledger_bus_messages_published_total', { topic: topics.events })).toBe(
      head.position,
    );
    expect(metrics.value('ledger_bus_messages_published_total', { topic: topics.rejectedCommands })).toBe(1);
    expect(metrics.value('ledger_bus_messages_consumed_total', { topic: topics.commands })).toBe(2);
    expect(metrics.value('ledger_bus_consume_errors_total', { topic: 'test.failing' })).toBe(1);
    expect(metrics.value('ledger_bus_publish_errors_total')).toBe(0);
    expect(metrics.types.get('ledger_bus_publish_errors_total')).toBe('counter');
    // Only the projection module has a transparency log.
    expect(metrics.types.has('ledger_transparency_checkpoint_age_seconds')).toBe(false);
    expect(
      metrics.value('http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/batch',
        status: '201',
      }),
    ).toBe(1);
    expect(metrics.types.get('process_cpu_seconds_total')).toBe('counter');
  });
});
