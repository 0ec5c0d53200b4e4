/**
 * The load process of workloads 1b and 1c (autocannon, keep-alive), separate from the server.
 *   http-load.ts <url> single|batch <seconds> <connections>
 * Every request submits values for (commune, indicator, month) cells never submitted before.
 */
import autocannon from 'autocannon';
import { submissionAt } from './submissions.ts';

const [url = '', mode = 'single', secondsArg = '15', connectionsArg = '16'] = process.argv.slice(2);
let next = 0;
const submission = () => submissionAt(next++);

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
