/**
 * The HTTP floor: a server that does no ledger work, so its requests/s is what this machine can
 * serve at best with the load process beside it (workload 1b's ceiling).
 *   floor-server.ts node|stack <port>
 * node: bare node:http, the body read and parsed as JSON, 201 with a small JSON answer.
 * stack: the ledger's own HTTP stack (express, request ids, pino-http at the bench's log level,
 * the JSON body parser, the problem handlers) with one route that answers the same.
 */
import { createServer } from 'node:http';
import { createHttpApp, createLogger, finishHttpApp, listen } from '@ledger/http';

const [kind = 'node', portArg = '18081'] = process.argv.slice(2);
const port = Number(portArg);
const answer = (body: { submissionId?: unknown }) =>
  JSON.stringify({ status: 'accepted', submissionId: body.submissionId ?? null });

if (kind === 'node') {
  createServer((req, res) => {
    if (req.method !== 'POST') return void res.end('{}');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = answer(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }).listen(port, '127.0.0.1');
} else {
  const app = createHttpApp(createLogger('floor', process.env.LOG_LEVEL ?? 'warn'));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/v1/submissions', (req, res) => {
    res.status(201).type('application/json').send(answer(req.body));
  });
  await listen(finishHttpApp(app), port, '127.0.0.1');
}
