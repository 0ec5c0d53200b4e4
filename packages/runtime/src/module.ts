import type { Bus } from '@ledger/bus';
import type { Checkpoints, EventStore } from '@ledger/event-store';
import type { LogFollower, Logger, Operation, Rebuildable } from '@ledger/http';
import type { Router } from 'express';
import type { AccessSource, Authenticator } from './authentication.ts';
import type { StoreLocation } from './config.ts';
import type { Metrics } from './metrics.ts';

/**
 * What a deployment hands each module it mounts: the adapters it chose and where the module keeps
 * its own files. The all-in-one server and the split services build one each, and mount the same
 * modules on it.
 */
export interface ModuleContext {
  readonly logger: Logger;
  readonly store: EventStore;
  /** Where the store is. What needs the file itself (a second connection on a thread) needs `sqlite`. */
  readonly storeLocation: StoreLocation;
  readonly bus: Bus;
  /** The directory a module keeps its own files in: read models, keys, consumer checkpoints. */
  readonly stateDir: string;
  /** Checkpoints of a consumer whose effect is outside the store, kept in `stateDir`. */
  readonly checkpoints: (owner: string) => Checkpoints;
  readonly transparencyLog: TransparencyLogOptions;
  /** The crash points of fault tests; does nothing unless LEDGER_CRASH_AT names one. */
  readonly crash: (point: string) => void;
  /** The process's own base URL, once it listens (for a child process that calls it back). */
  readonly selfUrl: () => string;
  /** Who a credential is, and where API keys are issued; undefined with LEDGER_AUTH=off. */
  readonly authenticator: Authenticator | undefined;
  /** Whether reads need a credential (LEDGER_READS). */
  readonly reads: 'public' | 'authenticated';
  /** Who the records of the commands topic act as (LEDGER_KAFKA_COMMANDS_PRINCIPAL; ingestion). */
  readonly commandsPrincipal?: string;
  /**
   * Where ingestion writes the owner's API key when the ledger has no owner yet (its first start:
   * bootstrap.ts); undefined: ingestion registers no owner (`pnpm ledger access bootstrap` does).
   */
  readonly ownerKeyFile?: string;
  /** Milliseconds between ingestion's looks for principals' commands topics (LEDGER_KAFKA_COMMANDS_RECHECK). */
  readonly commandsRecheckMs?: number;
  /** The process's metrics (metrics.ts), which modules count through; `serve` makes them. */
  readonly metrics: Metrics;
}

export interface TransparencyLogOptions {
  /** The log's name in its checkpoints (C2SP origin) and its signing key's name. */
  readonly origin: string;
  /** Seconds between signed checkpoints when the log has grown; 0 signs only on request. */
  readonly intervalSeconds: number;
  /** Where the signing key is kept; default: the state directory. */
  readonly keyDir?: string;
  /** A lost signing key to replace at start, recording its loss (LEDGER_LOG_KEY_LOST); default none. */
  readonly keyLoss?: { readonly lostKey: string; readonly reason: string };
}

/** A mounted module: the routes it serves, what it follows of the log, and how it stops. */
export interface Mounted {
  readonly routers: readonly Router[];
  /** Followers that can be rebuilt (`POST /v1/ops/projections/:name/rebuild`). */
  readonly projections?: readonly Rebuildable[];
  /** Followers that report how far they are (`GET /v1/ops/projections`, `/readyz`). */
  readonly workers?: readonly LogFollower[];
  /** The principals, grants and keys as this module's state has them, for authenticating requests. */
  readonly access?: AccessSource;
  /** Whether the commands it serves over HTTP go on the rejected topic when refused (runtime's refusals.ts). */
  readonly recordsRefusals?: boolean;
  /** The operations its routers serve, for the OpenAPI document (one per route). */
  readonly operations?: readonly Operation[];
  stop(): Promise<void>;
}

/**
 * Mounts modules at once, so that their catch-ups overlap (a scoring thread folds while this thread
 * folds the write model and the projection). If one fails, those that started are stopped before
 * the failure is thrown: a thread left running would keep the process alive.
 */
export async function mountAll<M extends readonly Promise<Mounted>[]>(
  mounting: readonly [...M],
): Promise<{ -readonly [K in keyof M]: Awaited<M[K]> }> {
  const settled = await Promise.allSettled(mounting);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<Mounted>).value) as {
    -readonly [K in keyof M]: Awaited<M[K]>;
  };
}

/** Stops modules one after the other, in the order given: upstream first, so nothing feeds a stopped one. */
export async function stopAll(modules: readonly Mounted[]): Promise<void> {
  for (const m of modules) await m.stop();
}
