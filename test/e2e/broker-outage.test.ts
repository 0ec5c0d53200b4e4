import { type PrivateBroker, startPrivateBroker } from '@ledger/bus-kafka/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../../services/all-in-one/test/seed.ts';
import { expectConsistent, UNITS, valuesFor } from './consistency.ts';
import { SERVICES, type ServiceName, type Stack } from './stack.ts';
import { getJson, postJson, removeStack, startTestStack, waitUntil } from './support.ts';

/**
 * Longer than the consumers' session timeout (bus-kafka's default sessionTimeoutMs, 10 s).
 * LEDGER_E2E_OUTAGE_MS=75000 also outlasts kafkajs's retries (~35 s), for a longer run by hand.
 */
const OUTAGE_MS = Number(process.env.LEDGER_E2E_OUTAGE_MS ?? 15_000);

const readyz = async (stack: Stack, service: ServiceName) => {
  const res = await fetch(`${stack.url(service)}/readyz`);
  return { status: res.status, body: (await res.json()) as { detail?: string } };
};

/** Where a service that waits for its broker answers its probes meanwhile (it logs it). */
const probesUrl = (output: string) =>
  /"url":"([^"]+)"[^\n]*"msg":"answering probes until the broker answers"|"msg":"answering probes until the broker answers"[^\n]*"url":"([^"]+)"/
    .exec(output)
    ?.slice(1)
    .find(Boolean);

/** Resolves with the exit code if the service exited, undefined if it is still running. */
const exitedYet = (stack: Stack, service: ServiceName) =>
  Promise.race([stack.exited(service), new Promise<undefined>((r) => setTimeout(() => r(undefined), 10))]);

// Its own Kafka broker: stopping the shared one would break the other test files running meanwhile.
describe('a broker outage longer than the session timeout (docs/operations.md, "Broker outage")', () => {
  let broker: PrivateBroker;
  let stack: Stack;
  beforeAll(async () => {
    broker = await startPrivateBroker('e2e-outage');
    stack = await startTestStack('outage', broker.brokers.join(','));
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
  }, 90_000);
  afterAll(async () => {
    await broker?.start().catch(() => undefined);
    await removeStack(stack);
    await broker?.stop();
  }, 60_000);

  it(
    'every service stays up, says 503 with the reason, and recovers by itself: nothing lost or doubled',
    async () => {
      for (const service of SERVICES)
        await waitUntil(`${service} ready`, async () =>
          (await readyz(stack, service)).status === 200 ? true : undefined,
        );
      const outageStarted = Date.now();
      await broker.stop();

      // During the outage: all three say they are not ready, and why, in /readyz and their ops status.
      for (const service of SERVICES) {
        const reply = await waitUntil(
          `${service} not ready during the outage`,
          async (note) => {
            const r = await readyz(stack, service);
            return r.status === 503 ? r : note(`${r.status} ${JSON.stringify(r.body)}`);
          },
          15_000,
        ).catch(async (error: Error) => {
          const code = await exitedYet(stack, service);
          throw new Error(
            `${error.message}${code === undefined ? '' : ` (it exited: ${code})`}\n${stack.output(service).split('\n').slice(-30).join('\n')}`,
          );
        });
        expect(reply.body.detail).toMatch(/is waiting-for-broker \(.+ has had no answer from the broker/);
        const ops = await getJson(`${stack.url(service)}/v1/ops/projections`);
        for (const follower of ops.body.projections) {
          expect(follower.status).toBe('waiting-for-broker');
          expect(follower.broker.reason).toEqual(expect.any(String));
        }
      }
      // A write is still recorded (ingestion writes to the store, not to Kafka): it is published once the broker is back.
      const during = await postJson(`${stack.url('ingestion')}/v1/batch`, valuesFor('2026-02', 93));
      expect(during.status).toBe(201);
      // A service started while the broker is down waits for it instead of exiting.
      await stack.kill('scoring', 'SIGTERM');
      let scoringExited: unknown;
      const scoringStarted = stack.start('scoring');
      scoringStarted.catch((error: unknown) => {
        scoringExited = error;
      });

      // Longer than the session timeout, and checked all along: no service exits.
      while (Date.now() - outageStarted < OUTAGE_MS) {
        for (const service of ['ingestion', 'projection'] as const) {
          expect(await exitedYet(stack, service)).toBeUndefined();
          expect(scoringExited).toBeUndefined();
          expect((await readyz(stack, service)).status).toBe(503);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(scoringExited).toBeUndefined();
      // The restarted scoring answers its probes while it waits: alive, and not ready, saying why.
      const probes = await waitUntil('the restarted scoring answers its probes', async () =>
        probesUrl(stack.output('scoring')),
      );
      expect((await fetch(`${probes}/healthz`)).status).toBe(200);
      const waiting = await fetch(`${probes}/readyz`);
      expect(waiting.status).toBe(503);
      expect(((await waiting.json()) as { detail: string }).detail).toMatch(/scoring is waiting-for-broker/);

      await broker.start();
      await scoringStarted;
      // kafkajs's own retries (~35 s) ride out a short outage; a longer one goes through the service's waiting.
      if (OUTAGE_MS > 45_000)
        expect(stack.output('scoring')).toContain('waiting for the broker: it cannot be reached');
      // Back by themselves: ready, lag 0, and the rankings a replay's, the write of the outage counted once.
      for (const service of SERVICES)
        await waitUntil(
          `${service} ready again`,
          async (note) => {
            const r = await readyz(stack, service);
            return r.status === 200 ? true : note(`${r.status} ${JSON.stringify(r.body)}`);
          },
          60_000,
        );
      await expectConsistent(stack, ['2023', '2026-02'], UNITS.length * 2);
      for (const service of SERVICES) expect(stack.output(service)).not.toContain('"level":60');
    },
    150_000 + OUTAGE_MS,
  );
});
