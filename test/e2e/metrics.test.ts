/**
 * `/metrics` of each split service, over a real Kafka broker: scraped without a credential, as
 * Prometheus scrapes it, and read with the exposition parser. What the names and labels mean is
 * docs/operations.md, "Metrics"; the all-in-one's counters are checked in detail in
 * services/all-in-one/test/metrics.test.ts.
 */
import { type Exposition, parseExposition } from '@ledger/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, submission } from '../../services/all-in-one/test/seed.ts';
import { settled } from './consistency.ts';
import { SERVICES, type ServiceName, type Stack } from './stack.ts';
import { postJson, removeStack, startTestStack } from './support.ts';

const EVENTS = 'ledger.events.v1';

describe('the split services’ metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startTestStack('metrics');
  }, 60_000);
  afterAll(() => removeStack(stack));

  const scrape = async (service: ServiceName): Promise<Exposition> => {
    const res = await fetch(`${stack.url(service)}/metrics`);
    expect(res.status, service).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };

  it('serves on every service what that service does: writes, scores, followers, Kafka, the log', async () => {
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
    const values = [submission('747', 'on-time', 97.5), submission('748', 'on-time', 99.1)];
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, { commands: values })).status).toBe(201);
    const log = await settled(stack, values.length);
    expect((await postJson(`${stack.url('projection')}/v1/ops/log/checkpoint`, {})).status).toBeLessThan(300);

    const [ingestion, scoring, projection] = await Promise.all(SERVICES.map(scrape));
    for (const m of [ingestion, scoring, projection] as Exposition[]) {
      expect(m.types.get('http_request_duration_seconds')).toBe('histogram');
      expect(m.types.get('ledger_bus_publish_errors_total')).toBe('counter');
      expect(m.types.get('process_cpu_seconds_total')).toBe('counter');
      expect(m.value('ledger_bus_consume_errors_total')).toBe(0);
    }
    const i = ingestion as Exposition;
    expect(i.value('ledger_appends_total', { writer: 'ingestion' })).toBeGreaterThanOrEqual(2);
    expect(i.value('ledger_follower_up', { follower: 'relay' })).toBe(1);
    expect(i.value('ledger_bus_messages_published_total', { topic: EVENTS })).toBeGreaterThanOrEqual(
      SEED.commands.length + values.length,
    );
    expect(
      i.value('http_request_duration_seconds_count', { method: 'POST', route: '/v1/batch', status: '201' }),
    ).toBe(2);

    const s = scoring as Exposition;
    const scores = log.filter((e) => e.metadata.actor === 'scoring' || e.type.startsWith('ledger.score'));
    expect(scores.length).toBeGreaterThan(0);
    expect(s.value('ledger_appends_total', { writer: 'scoring' })).toBeGreaterThan(0);
    expect(s.value('ledger_follower_up', { follower: 'scoring' })).toBe(1);
    expect(s.value('ledger_bus_messages_consumed_total', { topic: EVENTS })).toBeGreaterThan(0);

    const p = projection as Exposition;
    expect(p.value('ledger_follower_up', { follower: 'as-of-index' })).toBe(1);
    expect(p.value('ledger_follower_lag_events', { follower: 'as-of-index' })).toBeGreaterThanOrEqual(0);
    expect(p.value('ledger_appends_total', { writer: 'transparency-log' })).toBeGreaterThanOrEqual(1);
    const [age] = p.find('ledger_transparency_checkpoint_age_seconds');
    expect(age?.value).toBeLessThan(60);
    expect(p.value('ledger_transparency_checkpoint_size')).toBeGreaterThan(0);
  });
});
