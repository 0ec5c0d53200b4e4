import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from './logger.ts';

/** Starts listening; resolves with the server and the port it got (0 asks for any free port). */
export function listen(app: Express, port: number, host?: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host ?? '0.0.0.0', (error?: Error) => {
      if (error) return reject(error);
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}

/** Closes the server: stops accepting, lets requests in flight finish, drops idle keep-alives. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits; a second signal exits at once. Returns a way to
 * do the same from inside, with an exit code (a service that can no longer do its work).
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>): (exitCode: number) => void {
  let stopping = false;
  const shutDown = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(exitCode);
      },
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    logger.info({ signal }, 'shutting down');
    shutDown(0);
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
  return shutDown;
}
