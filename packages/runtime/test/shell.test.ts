import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getInProcessBus } from '@ledger/bus';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { createLogger } from '@ledger/http';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { openCheckpoints } from '../src/checkpoints.ts';
import { type ModuleContext, type Mounted, mountAll, serve } from '../src/index.ts';

/** A module that records when it is stopped, serving one route. */
function recordingModule(name: string, stopped: string[]): Mounted {
  const router = Router();
  router.get(`/${name}`, (_req, res) => void res.json({ module: name }));
  return {
    routers: [router],
    workers: [{ state: () => ({ name, status: 'live', checkpoint: 0 }) }],
    stop: async () => void stopped.push(name),
  };
}

describe('the one HTTP shell', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const context = async (): Promise<Omit<ModuleContext, 'selfUrl' | 'metrics'>> => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-shell-'));
    const path = join(dir, 'ledger.sqlite');
    return {
      logger: createLogger('test', 'silent'),
      store: getSQLiteEventStore({ path }),
      storeLocation: { kind: 'sqlite', path },
      bus: getInProcessBus(),
      stateDir: dir,
      checkpoints: (owner) => openCheckpoints(dir, owner),
      transparencyLog: { origin: 'test/log', intervalSeconds: 0 },
      crash: () => undefined,
      authenticator: undefined,
      reads: 'public',
    };
  };

  it('serves health, each module’s routes, one ops view over all their followers, and stops them in order', async () => {
    const stopped: string[] = [];
    let selfUrl = () => '';
    const served = await serve({
      service: 'both',
      port: 0,
      host: '127.0.0.1',
      context: await context(),
      mount: async (ctx) => {
        selfUrl = ctx.selfUrl;
        return [recordingModule('first', stopped), recordingModule('second', stopped)];
      },
    });
    expect(selfUrl()).toBe(served.url);
    expect(await (await fetch(`${served.url}/healthz`)).json()).toEqual({ status: 'ok', service: 'both' });
    expect(await (await fetch(`${served.url}/second`)).json()).toEqual({ module: 'second' });
    const ops = (await (await fetch(`${served.url}/v1/ops/projections`)).json()) as {
      projections: { name: string }[];
    };
    expect(ops.projections.map((p) => p.name)).toEqual(['first', 'second']);
    expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
    const missing = await fetch(`${served.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await served.stop();
    expect(stopped).toEqual(['first', 'second']);
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
  });

  it('stops what it mounted when it cannot listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const stopped: string[] = [];
    try {
      await expect(
        serve({
          port,
          host: '127.0.0.1',
          context: await context(),
          mount: async () => [recordingModule('only', stopped)],
        }),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(stopped).toEqual(['only']);
    } finally {
      taken.close();
    }
  });
});

describe('mountAll', () => {
  it('mounts at once, and when one fails stops those that started before it throws', async () => {
    const stopped: string[] = [];
    const failure = new Error('the projection could not start');
    await expect(
      mountAll([
        Promise.resolve(recordingModule('ingestion', stopped)),
        Promise.reject(failure),
        Promise.resolve(recordingModule('scoring', stopped)),
      ]),
    ).rejects.toBe(failure);
    expect(stopped).toEqual(['ingestion', 'scoring']);
  });

  it('gives each module as it was mounted, in order', async () => {
    const stopped: string[] = [];
    const [a, b] = await mountAll([
      Promise.resolve({ ...recordingModule('a', stopped), extra: 1 }),
      Promise.resolve(recordingModule('b', stopped)),
    ]);
    expect(a.extra).toBe(1);
    expect(b.routers).toHaveLength(1);
  });
});
