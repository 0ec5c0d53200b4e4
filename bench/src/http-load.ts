/**
 * The load process of workloads 1b and 1c (autocannon, keep-alive), separate from the server.
 *   http-load.ts <url> single|batch <seconds> <connections>
 * Every request submits values for (commune, indicator, month) cells never submitted before.
 */
import autocannon from 'autocannon';
import { COMMUNES, communeId, INDICATORS, indicatorCode } from './scale-model.ts';

const [url = '', mode = 'single', secondsArg = '15', connectionsArg = '16'] = process.argv.slice(2);
const CELLS = COMMUNES * INDICATORS;
let next = 0;
const submission = () => {
  const n = next++;
  const cell = n % CELLS;
  const month = Math.floor(n / CELLS);
  return {
    unitId: communeId(Math.floor(cell / INDICATORS)),
    indicator: indicatorCode(cell % INDICATORS),
    period: `${2030 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`,
    value: 50 + (n % 500) / 10,
  };
};

const body = () =>
  mode === 'single'
    ? JSON.stringify(submission())
    : JSON.stringify({
        commands: Array.from({ length: 500 }, () => ({ type: 'submission', body: submission() })),
      });

const result = await autocannon({
  url,
  connections: Number(connectionsArg),
  duration: Number(secondsArg),
  requests: [
    {
      method: 'POST',
      path: mode === 'single' ? '/v1/submissions' : '/v1/batch',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: body() }),
    },
  ],
});
const ok = result['2xx'];
console.log(
  JSON.stringify({
    requestsPerSecond: ok / Number(secondsArg),
    eventsPerSecond: (ok * (mode === 'single' ? 1 : 500)) / Number(secondsArg),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }),
);
