import { expect } from 'vitest';
import { submission } from '../../services/all-in-one/test/seed.ts';
import { SERVICES, type Stack } from './stack.ts';
import { getJson, readLog, replayRanking, scoreAudit, waitUntil } from './support.ts';

export const UNITS = ['747', '748', '754'];

/** Waits until every value written is in the log and scoring and projection have applied all of it. */
export async function settled(stack: Stack, values: number) {
  try {
    return await waitUntil(
      `${values} values recorded and every consumer caught up`,
      async (note) => {
        const log = await readLog(stack.storePath);
        const recorded = log.filter((e) => e.type.startsWith('ledger.value-')).length;
        if (recorded < values) return note(`${recorded} values recorded (ingestion's consumer is behind)`);
        for (const service of ['scoring', 'projection'] as const) {
          const ops = await getJson(`${stack.url(service)}/v1/ops/projections`);
          const behind = ops.body.projections.filter(
            (p: { lagEvents: number; status: string }) => p.lagEvents > 0 || p.status !== 'live',
          );
          if (behind.length > 0) return note(`${service} not caught up: ${JSON.stringify(behind)}`);
        }
        const again = await readLog(stack.storePath);
        return again.length === log.length ? log : note('the log grew meanwhile');
      },
      60_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${problemsLogged(stack)}`);
  }
}

/** The services' warnings and errors (pino levels 40 and up), the last few of each: why a stack did not settle. */
function problemsLogged(stack: Stack, last = 15): string {
  return SERVICES.map((service) => {
    const lines = stack
      .output(service)
      .split('\n')
      .filter((line) => /"level":(4|5|6)0/.test(line))
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
    return `--- ${service}: ${lines.length} warnings/errors${lines.length > last ? `, last ${last}` : ''}\n${lines.slice(-last).join('\n')}`;
  }).join('\n');
}

/** Nothing lost, nothing counted twice: the served rankings are a full replay's, and every score is recorded once. */
export async function expectConsistent(stack: Stack, periods: readonly string[], values: number) {
  const log = await settled(stack, values);
  for (const period of periods) {
    const served = await getJson(`${stack.url('projection')}/v1/rankings/cchc/${period}`);
    expect(served.status).toBe(200);
    expect(served.body.rows).toEqual(replayRanking(log, 'cchc', period).rows);
  }
  const audit = scoreAudit(log);
  const firstDifference = audit.recorded.findIndex(
    (r, i) => JSON.stringify(r) !== JSON.stringify(audit.expected[i]),
  );
  if (firstDifference >= 0 && process.env.DEBUG_SCORES)
    console.log(
      JSON.stringify(
        { recorded: audit.recorded[firstDifference], expected: audit.expected[firstDifference] },
        null,
        1,
      ),
    );
  expect(audit.recorded).toEqual(audit.expected);
  const ids = log.map((e) => e.eventId);
  expect(new Set(ids).size).toBe(ids.length);
}

/** One write of a value of every unit for a period, large enough to make a multi-event batch. */
export const valuesFor = (period: string, base: number) => ({
  commands: UNITS.flatMap((unitId, i) => [
    submission(unitId, 'on-time', base + i, period),
    submission(unitId, 'satisfaction', base - 5 + i * 2, period),
  ]),
});
