/**
 * `/metrics` of the all-in-one ledger, scraped as Prometheus scrapes it (no credential), read with
 * the exposition parser: the names docs/operations.md lists, the counters rising by what was
 * written, the route patterns as labels, and the followers' lag moving under a burst of writes.
 */
import { type Exposition, parseExposition } from '@ledger/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from './seed.ts';
import { startTestLedger, type TestLedger } from './support.ts';

/** Every metric family the docs list for a process that runs every module. */
const FAMILIES: Record<string, string> = {
  http_request_duration_seconds: 'histogram',
  ledger_appends_total: 'counter',
  ledger_events_appended_total: 'counter',
  ledger_append_errors_total: 'counter',
  ledger_commands_rejected_total: 'counter',
  ledger_bus_messages_published_total: 'counter',
  ledger_bus_publish_errors_total: 'counter',
  ledger_bus_messages_consumed_total: 'counter',
  ledger_bus_consume_errors_total: 'counter',
  ledger_follower_lag_events: 'gauge',
  ledger_follower_lag_seconds: 'gauge',
  ledger_follower_up: 'gauge',
  ledger_follower_status: 'gauge',
  ledger_transparency_checkpoint_age_seconds: 'gauge',
  ledger_transparency_checkpoint_size: 'gauge',
  ledger_transparency_tree_size: 'gauge',
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
};

/** Distinct (unit, indicator, period) submissions: none is refused as a second value. */
function burst(count: number) {
  const commands: ReturnType<typeof submission>[] = [];
  const periods: string[] = [];
  for (let year = 2031; year <= 2060; year++)
    periods.push(
      String(year),
      ...[1, 2, 3, 4].map((q) => `${year}-Q${q}`),
      ...Array.from({ length: 12 }, (_, m) => `${year}-${String(m + 1).padStart(2, '0')}`),
    );
  for (const period of periods)
    for (const unit of ['747', '748', '754'])
      for (const indicator of ['on-time', 'satisfaction']) {
        if (commands.length === count) return commands;
        commands.push(submission(unit, indicator, 50 + (commands.length % 50), period));
      }
  return commands;
}

describe('GET /metrics', () => {
  let ledger: TestLedger;
  const scrape = async (): Promise<Exposition> => {
    // No credential: Prometheus sends none (the endpoint is open, like /healthz).
    const res = await fetch(`${ledger.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };

  beforeAll(async () => {
    ledger = await startTestLedger();
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
    // The first write at the clock may seal the ledger (one more event): made before counting.
    expect((await ledger.post('/v1/submissions', submission('747', 'on-time', 90).body)).status).toBe(201);
    await ledger.settled();
  });
  afterAll(() => ledger?.dispose());

  it('serves every metric family, typed, without a credential', async () => {
    expect((await ledger.post('/v1/ops/log/checkpoint', {})).status).toBeLessThan(300);
    const metrics = await scrape();
    for (const [name, type] of Object.entries(FAMILIES)) expect(metrics.types.get(name), name).toBe(type);
    const followers = metrics.find('ledger_follower_up').map((s) => s.labels.follower);
    expect(followers.sort()).toEqual(['as-of-index', 'scoring']);
    expect(metrics.value('ledger_follower_up')).toBe(2);
    expect(metrics.find('ledger_follower_status', { status: 'live' })).toHaveLength(2);
    const [age] = metrics.find('ledger_transparency_checkpoint_age_seconds');
    expect(age?.value).toBeGreaterThanOrEqual(0);
    expect(age?.value).toBeLessThan(60);
    expect(metrics.value('ledger_transparency_checkpoint_size')).toBeGreaterThan(0);
  });

  it('counts appends and events as written, and times requests by route pattern', async () => {
    const before = await scrape();
    const writes = 5;
    for (let i = 0; i < writes; i++)
      expect(
        (await ledger.post('/v1/submissions', submission('748', 'on-time', 80 + i, `202${i}`).body)).status,
      ).toBe(201);
    const refused = await ledger.post('/v1/submissions', { unitId: '748' });
    expect(refused.status).toBe(400);
    const anonymous = await ledger.post('/v1/submissions', submission('748', 'on-time', 1).body, {
      authorization: '',
    });
    expect(anonymous.status).toBe(401);
    expect((await ledger.get('/v1/rankings/cchc/2023')).status).toBe(200);
    const after = await scrape();

    const ingestion = { writer: 'ingestion' };
    expect(
      after.value('ledger_appends_total', ingestion) - before.value('ledger_appends_total', ingestion),
    ).toBe(writes);
    expect(
      after.value('ledger_events_appended_total', ingestion) -
        before.value('ledger_events_appended_total', ingestion),
    ).toBe(writes);
    // The checkpoint of the first test was counted under its own writer.
    expect(after.value('ledger_appends_total', { writer: 'transparency-log' })).toBeGreaterThanOrEqual(1);

    const posted = { method: 'POST', route: '/v1/submissions', status: '201' };
    expect(
      after.value('http_request_duration_seconds_count', posted) -
        before.value('http_request_duration_seconds_count', posted),
    ).toBe(writes);
    const invalid = { reason: 'invalid', source: 'http' };
    expect(
      after.value('ledger_commands_rejected_total', invalid) -
        before.value('ledger_commands_rejected_total', invalid),
    ).toBe(1);
    // A refusal in the handler keeps its route; one before routing (the credential) has none.
    expect(
      after.value('http_request_duration_seconds_count', { ...posted, status: '400' }) -
        before.value('http_request_duration_seconds_count', { ...posted, status: '400' }),
    ).toBe(1);
    const unauthenticated = { reason: 'unauthenticated', source: 'http' };
    expect(
      after.value('ledger_commands_rejected_total', unauthenticated) -
        before.value('ledger_commands_rejected_total', unauthenticated),
    ).toBe(1);
    expect(
      after.value('http_request_duration_seconds_count', {
        method: 'POST',
        route: 'unmatched',
        status: '401',
      }),
    ).toBeGreaterThanOrEqual(1);
    const ranking = { method: 'GET', route: '/v1/rankings/:methodologyId/:period', status: '200' };
    expect(after.value('http_request_duration_seconds_count', ranking)).toBeGreaterThanOrEqual(1);
    expect(after.find('http_request_duration_seconds_bucket', { ...ranking, le: '+Inf' })).toHaveLength(1);
    // Route patterns only: no URL (nor its values) is ever a label.
    const routes = new Set(after.find('http_request_duration_seconds_count').map((s) => s.labels.route));
    for (const route of routes) expect(route).not.toMatch(/cchc|2023|748/);
  });

  it('shows a follower’s lag while a burst of writes is applied, and none once settled', async () => {
    const commands = burst(2_000);
    expect(commands).toHaveLength(2_000);
    let done = false;
    const writing = ledger.post('/v1/batch', { commands }).finally(() => {
      done = true;
    });
    let most = 0;
    let mostSeconds = 0;
    // Scrapes while the batch is recorded and followed; the lag shows between the append and the
    // followers' catching up.
    for (let i = 0; i < 2_000 && (most === 0 || !done); i++) {
      const metrics = await scrape();
      most = Math.max(most, ...metrics.find('ledger_follower_lag_events').map((s) => s.value));
      mostSeconds = Math.max(mostSeconds, ...metrics.find('ledger_follower_lag_seconds').map((s) => s.value));
      if (done && most > 0) break;
    }
    expect((await writing).status).toBe(201);
    expect(most).toBeGreaterThan(0);
    expect(mostSeconds).toBeGreaterThan(0);

    await ledger.settled();
    const settled = await scrape();
    expect(settled.find('ledger_follower_lag_events').map((s) => s.value)).toEqual([0, 0]);
    expect(settled.find('ledger_follower_lag_seconds').map((s) => s.value)).toEqual([0, 0]);
    expect(settled.value('ledger_follower_up')).toBe(2);
  });
});
