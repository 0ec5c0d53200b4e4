import { createServer } from 'node:http';
import type { Logger } from '@ledger/http';

/**
 * The probes of a service that waits for its broker before it can mount (service.ts): `/healthz`
 * answers 200 (the process runs: a supervisor must not restart it for an outage it cannot end),
 * `/readyz` and everything else 503 problem+json saying what it waits for. Closed before the
 * service listens on the same port. SIGTERM or SIGINT meanwhile stops the process cleanly (exit 0).
 */
export async function startWaitingProbes(options: {
  port: number;
  host: string;
  service: string;
  reason: () => string;
  logger: Logger;
}): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', service: options.service }));
      return;
    }
    res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '5' });
    res.end(
      JSON.stringify({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `${options.service} is waiting-for-broker: ${options.reason()}`,
      }),
    );
  });
  const stop = () => {
    options.logger.info('stopped while waiting for the broker');
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger.info({ url: `http://127.0.0.1:${port}` }, 'answering probes until the broker answers');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
