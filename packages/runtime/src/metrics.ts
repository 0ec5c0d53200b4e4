import { type Bus, commandsTopicSuffix, topics } from '@ledger/bus';
import type { EventStore } from '@ledger/event-store';
import { type FollowerLag, followerLags, type LogFollower } from '@ledger/http';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What a module counts, through its context (`ctx.metrics`): every metric name of the ledger is
 * defined in this file (docs/operations.md, "Metrics"); modules only hand over what to count.
 */
export interface Metrics {
  /** The store, its appends counted under `writer` (ledger_appends_total, ledger_events_appended_total). */
  countAppends(store: EventStore, writer: string): EventStore;
  /** A command refused (ledger_commands_rejected_total): `reason` from `refusalReason` (@ledger/http). */
  commandRejected(reason: string, source: 'http' | 'kafka'): void;
  /** The transparency log's latest signed checkpoint, read at each scrape (projection module). */
  transparencyLog(read: () => TransparencyLogReading): void;
}

export interface TransparencyLogReading {
  /** The log's name in its checkpoints (a label: one value per process). */
  readonly origin: string;
  /** Epoch ms the latest signed checkpoint was signed (or recorded at); undefined: none yet. */
  readonly checkpointAtMs: number | undefined;
  /** The tree size the latest checkpoint covers (0: none). */
  readonly checkpointSize: number;
  /** The tree's size now. */
  readonly treeSize: number;
}

/** The process's metrics: one registry, and what the shell wires into the HTTP app, the bus and the followers. */
export interface ProcessMetrics extends Metrics {
  /** The ledger's metrics (the process's CPU, memory and event loop are in one registry per process). */
  readonly registry: Registry;
  /** Times every request (http_request_duration_seconds) and counts refused writes; install first. */
  readonly http: RequestHandler;
  /** The bus, its publishes and consumers counted (ledger_bus_*). */
  meterBus(bus: Bus): Bus;
  /** Lag and status of these followers, computed at each scrape as `GET /v1/ops/projections` does. */
  followers(store: EventStore, followers: readonly LogFollower[]): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  exposition(): Promise<string>;
  readonly contentType: string;
}

/** Seconds; the default buckets of prom-client plus finer ones below 5 ms, where most reads are. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A topic as a label: a principal's commands topic is one value, whatever the principal (bounded). */
export const topicLabel = (topic: string): string =>
  commandsTopicSuffix(topic) !== undefined ? `${topics.commands}.<principal>` : topic;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The route pattern a request matched (`/v1/rankings/:methodologyId/:period`), never its URL. */
const routeOf = (route: unknown): string => {
  const path = (route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return path;
  if (path === undefined) return 'unmatched';
  return String(path);
};

/**
 * The process's own metrics (CPU, memory, event loop, GC: `collectDefaultMetrics`), made once: its
 * monitors cannot be stopped, and a test process serves many ledgers one after the other.
 */
let processRegistry: Registry | undefined;
const processOwn = (): Registry => {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
};

/**
 * The metrics of one served ledger: `serve` makes one per process (a test process makes one per
 * ledger it starts), and its exposition adds the process's own.
 */
export function createMetrics(options: { readonly now?: () => number } = {}): ProcessMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  const own = processOwn();

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request arriving to its response finishing, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const appends = new Counter({
    name: 'ledger_appends_total',
    help: 'Appends that recorded events in the store (one atomic append, one or more events), by writer.',
    labelNames: ['writer'],
    registers,
  });
  const events = new Counter({
    name: 'ledger_events_appended_total',
    help: 'Events recorded in the store, by writer.',
    labelNames: ['writer'],
    registers,
  });
  const appendErrors = new Counter({
    name: 'ledger_append_errors_total',
    help: 'Appends the store refused or failed (a racing writer, a conflict, the store down), by writer.',
    labelNames: ['writer'],
    registers,
  });
  const rejected = new Counter({
    name: 'ledger_commands_rejected_total',
    help: 'Writes refused, by reason (the Rejection kind, else the problem status) and source (http, kafka).',
    labelNames: ['reason', 'source'],
    registers,
  });
  const published = new Counter({
    name: 'ledger_bus_messages_published_total',
    help: 'Messages the bus acknowledged, by topic.',
    labelNames: ['topic'],
    registers,
  });
  const publishErrors = new Counter({
    name: 'ledger_bus_publish_errors_total',
    help: 'Publishes that failed (Kafka: after the producer’s retries), by topic.',
    labelNames: ['topic'],
    registers,
  });
  const consumed = new Counter({
    name: 'ledger_bus_messages_consumed_total',
    help: 'Messages handled by this process’s consumers, by topic.',
    labelNames: ['topic'],
    registers,
  });
  const consumeErrors = new Counter({
    name: 'ledger_bus_consume_errors_total',
    help: 'Consumers stopped by an error (their handler failed, or Kafka gave up on them), by topic.',
    labelNames: ['topic'],
    registers,
  });

  // Lag: one computation per scrape, shared by the gauges that show it.
  const watched: { store: EventStore; followers: readonly LogFollower[] }[] = [];
  let scrape: Promise<readonly FollowerLag[]> | undefined;
  /** The followers' lags; none while the store does not answer (the scrape still serves the rest). */
  const lags = (): Promise<readonly FollowerLag[]> => {
    scrape ??= Promise.all(watched.map((w) => followerLags(w.store, w.followers, now)))
      .then((all) => all.flatMap((w) => w.followers))
      .catch(() => [])
      .finally(() => {
        scrape = undefined;
      });
    return scrape;
  };
  const states = () => watched.flatMap((w) => w.followers.map((f) => f.state()));
  new Gauge({
    name: 'ledger_follower_lag_events',
    help: 'Positions between a follower’s checkpoint and the head of the log (GET /v1/ops/projections, lagEvents).',
    labelNames: ['follower'],
    registers,
    async collect() {
      const all = await lags();
      this.reset();
      for (const f of all) this.set({ follower: f.name }, f.lagEvents);
    },
  });
  new Gauge({
    name: 'ledger_follower_lag_seconds',
    help: 'How long the oldest event a follower has not applied has been in the log; 0 when caught up (lagSeconds).',
    labelNames: ['follower'],
    registers,
    async collect() {
      const all = await lags();
      this.reset();
      for (const f of all) this.set({ follower: f.name }, f.lagSeconds);
    },
  });
  new Gauge({
    name: 'ledger_follower_up',
    help: '1 while a follower is live (following the log), 0 otherwise (starting, catching up, failed, stopped).',
    labelNames: ['follower'],
    registers,
    collect() {
      this.reset();
      for (const f of states()) this.set({ follower: f.name }, f.status === 'live' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ledger_follower_status',
    help: 'A follower’s status as a label (live, starting, failed, …): 1 for the status it has now.',
    labelNames: ['follower', 'status'],
    registers,
    collect() {
      this.reset();
      for (const f of states()) this.set({ follower: f.name, status: f.status }, 1);
    },
  });

  const countAppends = (store: EventStore, writer: string): EventStore => ({
    append: async (requests, appendOptions) => {
      let result: Awaited<ReturnType<EventStore['append']>>;
      try {
        result = await store.append(requests, appendOptions);
      } catch (error) {
        appendErrors.inc({ writer });
        throw error;
      }
      if (!result.alreadyRecorded) {
        appends.inc({ writer });
        events.inc({ writer }, result.events.length);
      }
      return result;
    },
    readStream: (streamId, o) => store.readStream(streamId, o),
    readAll: (o) => store.readAll(o),
    head: () => store.head(),
    subscribe: (o) => store.subscribe(o),
    close: () => store.close(),
  });

  const http: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      duration.observe({ method: req.method, route: routeOf(req.route), status: res.statusCode }, seconds);
      const reason = res.locals.refusal;
      if (typeof reason === 'string' && !READS.has(req.method)) rejected.inc({ reason, source: 'http' });
    });
    next();
  };

  const meterBus = (bus: Bus): Bus => {
    const prepare = bus.prepareTopics?.bind(bus);
    return {
      publish: async (topic, messages) => {
        try {
          await bus.publish(topic, messages);
        } catch (error) {
          publishErrors.inc({ topic: topicLabel(topic) });
          throw error;
        }
        published.inc({ topic: topicLabel(topic) }, messages.length);
      },
      consume: (topic, consumeOptions) =>
        bus.consume(topic, {
          ...consumeOptions,
          onMessages: async (messages, source) => {
            await consumeOptions.onMessages(messages, source);
            consumed.inc({ topic: topicLabel(source?.topic ?? topic) }, messages.length);
          },
          onError: (error) => {
            consumeErrors.inc({ topic: topicLabel(topic) });
            consumeOptions.onError?.(error);
          },
        }),
      ...(prepare ? { prepareTopics: prepare } : {}),
      ...(bus.health ? { health: bus.health.bind(bus) } : {}),
      close: () => bus.close(),
    };
  };

  const transparencyLog = (read: () => TransparencyLogReading) => {
    new Gauge({
      name: 'ledger_transparency_checkpoint_age_seconds',
      help: 'Seconds since the latest signed checkpoint of the transparency log was signed (absent: none yet).',
      labelNames: ['origin'],
      registers,
      collect() {
        this.reset();
        const { origin, checkpointAtMs } = read();
        if (checkpointAtMs !== undefined) this.set({ origin }, Math.max(0, (now() - checkpointAtMs) / 1000));
      },
    });
    new Gauge({
      name: 'ledger_transparency_checkpoint_size',
      help: 'The tree size the latest signed checkpoint covers (0: none yet).',
      labelNames: ['origin'],
      registers,
      collect() {
        const { origin, checkpointSize } = read();
        this.set({ origin }, checkpointSize);
      },
    });
    new Gauge({
      name: 'ledger_transparency_tree_size',
      help: 'The size of the Merkle tree over the log now (events the projection has applied).',
      labelNames: ['origin'],
      registers,
      collect() {
        const { origin, treeSize } = read();
        this.set({ origin }, treeSize);
      },
    });
  };

  return {
    registry,
    contentType: registry.contentType,
    http,
    meterBus,
    countAppends,
    commandRejected: (reason, source) => rejected.inc({ reason, source }),
    transparencyLog,
    followers: (store, followers) => {
      watched.push({ store, followers });
    },
    exposition: async () => `${await registry.metrics()}\n${await own.metrics()}`,
  };
}
