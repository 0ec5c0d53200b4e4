import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../../services/all-in-one/test/seed.ts';
import { expectConsistent, UNITS, valuesFor } from './consistency.ts';
import type { ServiceName, Stack } from './stack.ts';
import { postJson, removeStack, startTestStack } from './support.ts';

describe('faults in the split deployment: nothing lost, nothing counted twice', () => {
  let stack: Stack;
  let values = 0;
  const periods: string[] = [];
  beforeAll(async () => {
    stack = await startTestStack('faults', undefined, { sasl: true });
    expect((await postJson(`${stack.url('ingestion')}/v1/batch`, SEED)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await removeStack(stack);
  });

  const write = async (period: string, base: number) => {
    const reply = await postJson(`${stack.url('ingestion')}/v1/batch`, valuesFor(period, base));
    expect(reply.status).toBe(201);
    values += UNITS.length * 2;
    if (!periods.includes(period)) periods.push(period);
  };

  const scenarios: [ServiceName, string][] = [
    ['scoring', 'mid-batch'],
    ['scoring', 'after-effect'],
    ['scoring', 'after-checkpoint'],
    ['projection', 'mid-batch'],
    ['projection', 'after-effect'],
    ['projection', 'after-checkpoint'],
  ];
  let month = 0;
  for (const [service, point] of scenarios) {
    it(`kill -9 of ${service} at ${point}, then a restart, loses and doubles nothing`, async () => {
      await stack.kill(service, 'SIGTERM');
      stack.startToCrash(service, { LEDGER_CRASH_AT: `${service}:${point}` });
      const exited = stack.exited(service);
      // Write until the service reaches its crash point (some points come only with a later batch).
      let code: number | null | undefined;
      for (let n = 0; n < 12 && code === undefined; n++) {
        month += 1;
        await write(`${2030 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`, 90);
        code = await Promise.race([
          exited,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 700)),
        ]);
      }
      expect(code).toBe(-1);
      expect(stack.output(service)).toContain(`crash point ${service}:${point} reached`);
      await stack.kill(service);
      await stack.start(service);
      await expectConsistent(stack, periods, values);
    }, 90_000);
  }
});
