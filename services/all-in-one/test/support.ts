import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import type { RecordedEvent } from '@ledger/domain';
import { createLogger } from '@ledger/http';
import { AllInOneConfig } from '../src/config.ts';
import { type RunningLedger, startLedger } from '../src/server.ts';
import { type DocumentCheck, documentCheck } from './against-document.ts';

export interface TestLedger extends RunningLedger {
  readonly dataDir: string;
  /** The owner's API key (every role), which `call` sends unless told otherwise. */
  readonly ownerKey: string | undefined;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  get(path: string): Promise<Reply>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  /**
   * Waits until scoring and the projection have followed the log to its head: scores follow their
   * inputs asynchronously (on scoring's thread), so a read as of a time the log has not yet passed
   * can still change until then.
   */
  settled(): Promise<void>;
  /** Stops the server and removes its data. */
  dispose(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are JSON read by the tests
  readonly body: any;
}

/** A real ledger on an ephemeral port with its own data directory. */
export async function startTestLedger(env: Record<string, string> = {}): Promise<TestLedger> {
  const dataDir = env.LEDGER_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'ledger-api-')));
  const config = AllInOneConfig.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    LEDGER_DEMO: 'off',
    ...env,
    LEDGER_DATA_DIR: dataDir,
  });
  const ledger = await startLedger(
    config,
    createLogger('test', (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent'),
  );
  const ownerKey = config.LEDGER_AUTH ? (await readFile(ledger.adminKeyPath, 'utf8')).trim() : undefined;
  /** Every answer must be one the served OpenAPI document describes. */
  let check: DocumentCheck | undefined;
  /** Sends as the owner unless `headers` has its own authorization ('' for none). */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const { authorization = ownerKey ? `Bearer ${ownerKey}` : '', ...rest } = headers;
    const res = await fetch(`${ledger.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...rest },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    const reply = {
      status: res.status,
      contentType,
      headers: res.headers,
      body: text && !contentType.startsWith('text/plain') ? JSON.parse(text) : text || undefined,
    };
    check ??= documentCheck(
      (await (await fetch(`${ledger.url}/v1/openapi.json`)).json()) as Parameters<typeof documentCheck>[0],
    );
    check(method, path, reply.status, contentType, reply.body);
    return reply;
  };
  const settled = async () => {
    for (let i = 0; i < 200; i++) {
      const ops = (await call('GET', '/v1/ops/projections')).body;
      if (ops.projections.every((p: { lagEvents: number }) => p.lagEvents === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('scoring and the projection did not reach the head of the log within 5 s');
  };
  return {
    ...ledger,
    dataDir,
    ownerKey,
    call,
    settled,
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body, headers),
    dispose: async () => {
      await ledger.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every route an express app serves, its routers' included: the method (lower case) and path. */
export function routesOf(app: { router: unknown }): { method: string; path: string }[] {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const walk = (stack: Layer[]): { method: string; path: string }[] =>
    stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => ({ method, path: layer.route?.path as string }))
        : walk(layer.handle?.stack ?? []),
    );
  return walk((app.router as { stack: Layer[] }).stack);
}

/** The whole log, for "nothing was written" checks. */
export async function logOf(ledger: TestLedger) {
  const reply = await ledger.get('/v1/events?limit=1000');
  return reply.body.events as RecordedEvent[];
}

const CLI = new URL('../../cli/src/main.ts', import.meta.url).pathname;

/** Runs `pnpm ledger …` as a separate process; resolves with its exit code and output. */
export async function ledgerCli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', CLI, ...args],
      { env: { ...process.env, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * Appends an event to a stopped ledger's store file the way an earlier version of the ledger could
 * have: straight into the table, past every rule of today's door and store. Returns its position.
 */
export function recordAsEarlierVersion(
  databasePath: string,
  event: { streamId: string; type: string; data: unknown; actor?: string },
): number {
  const db = new DatabaseSync(databasePath);
  try {
    const head = db
      .prepare('SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1')
      .get() as { position: number; recorded_at: string } | undefined;
    const revision = db
      .prepare('SELECT max(revision) AS r FROM events WHERE stream_id = ?')
      .get(event.streamId) as {
      r: number | null;
    };
    const position = (head?.position ?? 0) + 1;
    db.prepare(
      'INSERT INTO events (position, event_id, stream_id, revision, type, schema_version, recorded_at, data, metadata) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)',
    ).run(
      position,
      randomUUID(),
      event.streamId,
      (revision.r ?? -1) + 1,
      event.type,
      head?.recorded_at ?? new Date().toISOString(),
      // JSON.stringify writes a lone surrogate as its \ud8xx escape, as an earlier version did.
      JSON.stringify(event.data),
      JSON.stringify({
        actor: event.actor ?? 'earlier-version',
        correlationId: 'earlier',
        causationId: null,
      }),
    );
    return position;
  } finally {
    db.close();
  }
}
