import type { Server } from 'node:http';
import {
  closeServer,
  createHttpApp,
  finishHttpApp,
  listen,
  NO_QUERY,
  OPS_OPERATIONS,
  opsRouter,
  parseQuery,
} from '@ledger/http';
import type { Express } from 'express';
import { processDocument, SHELL_OPERATIONS } from './api.ts';
import { guard } from './guard.ts';
import { createMetrics } from './metrics.ts';
import { type ModuleContext, type Mounted, stopAll } from './module.ts';
import { recordHttpRefusals } from './refusals.ts';

export interface Served {
  /** The HTTP app, for what walks its routes (tests). */
  readonly app: Express;
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the address this process calls itself at. */
  readonly url: string;
  /** Stops taking requests, lets those in flight finish, stops the modules in order, then closes the bus and the store. */
  stop(): Promise<void>;
}

/**
 * The one HTTP shell of every deployment. It mounts the modules on the context, then serves
 * `/healthz`, each module's routes in the order mounted, one ops router over all their followers,
 * and problem+json for every error. A failure to mount or to listen stops what was mounted.
 */
export async function serve(options: {
  /** Named in `/healthz`, where one process is one of several services. */
  readonly service?: string;
  readonly port: number;
  readonly host: string;
  readonly context: Omit<ModuleContext, 'selfUrl' | 'metrics'>;
  readonly mount: (ctx: ModuleContext) => Promise<readonly Mounted[]>;
}): Promise<Served> {
  const { context, service } = options;
  const { logger, store, bus } = context;
  let url = '';
  // One registry per process: the modules count through it (ctx.metrics), the bus is counted.
  const metrics = createMetrics();
  const metered = metrics.meterBus(bus);
  const modules = await options.mount({
    ...context,
    bus: metered,
    metrics,
    selfUrl: () => url,
  });

  const app = createHttpApp(logger, { first: metrics.http });
  const access = modules.find((m) => m.access)?.access;
  // Denials are logged and counted, never appended to the log: anyone could grow it so.
  const denials = { unauthenticated: 0, forbidden: 0 };
  app.use((_req, res, next) => {
    res.on('finish', () => {
      if (res.statusCode === 401) denials.unauthenticated++;
      if (res.statusCode === 403) denials.forbidden++;
    });
    next();
  });
  app.get('/healthz', (req, res) => {
    parseQuery(NO_QUERY, req);
    res.json({ status: 'ok', ...(service ? { service } : {}) });
  });
  // Open, like the probes (guard.ts, OPEN): docs/operations.md, "Metrics".
  app.get('/metrics', async (req, res) => {
    parseQuery(NO_QUERY, req);
    res.type(metrics.contentType).send(await metrics.exposition());
  });
  const document = processDocument(service, [
    ...SHELL_OPERATIONS,
    ...modules.flatMap((m) => m.operations ?? []),
    ...OPS_OPERATIONS,
  ]);
  app.get('/v1/openapi.json', (req, res) => {
    parseQuery(NO_QUERY, req);
    res.json(document);
  });
  // Before the guard, so that what it refuses a principal is recorded too.
  if (modules.some((m) => m.recordsRefusals)) app.use(recordHttpRefusals(metered, logger));
  app.use(
    guard({ authenticator: context.authenticator, reads: context.reads, access: () => access, logger }),
  );
  app.get('/v1/ops/denials', (req, res) => {
    parseQuery(NO_QUERY, req);
    res.json(denials);
  });
  for (const m of modules) for (const router of m.routers) app.use(router);
  app.use(
    opsRouter({
      store,
      projections: modules.flatMap((m) => m.projections ?? []),
      workers: modules.flatMap((m) => m.workers ?? []),
    }),
  );
  metrics.followers(
    store,
    modules.flatMap((m) => [...(m.projections ?? []), ...(m.workers ?? [])]),
  );
  finishHttpApp(app);

  let listening: { server: Server; port: number };
  try {
    listening = await listen(app, options.port, options.host);
  } catch (error) {
    await stopAll(modules);
    throw error;
  }
  const { server, port } = listening;
  url = `http://127.0.0.1:${port}`;
  return {
    app,
    server,
    port,
    url,
    stop: async () => {
      await closeServer(server);
      await stopAll(modules);
      await bus.close();
      await store.close();
      context.authenticator?.close();
    },
  };
}
