import type { ConnectionOptions } from 'node:tls';
import type { Bus, BusHealth, BusMessage, ConsumeOptions, Consumer } from '@ledger/bus';
import type {
  Admin,
  EachBatchPayload,
  IHeaders,
  KafkaConfig,
  Consumer as KafkaConsumer,
  KafkaMessage,
  LogEntry,
  Producer,
  RetryOptions,
  SASLOptions,
} from 'kafkajs';
import kafkajs from 'kafkajs';
import { keyPartitioner } from './partitioner.ts';

const { Kafka, logLevel: LogLevel } = kafkajs;

/** A pino-like logger: structured fields first, then the message. */
export interface KafkaBusLogger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** `true` for TLS with the system's CAs, or Node TLS options (ca, cert, key, servername…). */
  readonly ssl?: boolean | ConnectionOptions;
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
  /** Where kafkajs logs go; without one, nothing is logged (never the console). */
  readonly logger?: KafkaBusLogger;
  /** The lowest kafkajs level passed to the logger. Default `info`. */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /**
   * How long the clients keep retrying a broker that does not answer. The default rides out a
   * broker outage of about half a minute before a publish fails; consumers go on retrying after that.
   */
  readonly retry?: RetryOptions;
  /**
   * How long a consumer's fetch waits on the broker for new records. Closing a consumer waits for the
   * fetch in flight, so this bounds `close()`. Default 500 ms.
   */
  readonly maxWaitTimeInMs?: number;
  /** How long the group waits for a silent member before giving its partitions away. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /**
   * How long a consumer may go without an answer from the broker, or a publish may wait for one,
   * before `health()` says the broker is unreachable. Default 6 s (a consumer fetches every
   * `maxWaitTimeInMs` and heartbeats every second while the broker answers).
   */
  readonly brokerSilenceMs?: number;
}

/** Whether this bus reaches its broker (the Bus port's `health`); kafkajs itself retries all along. */
export type BrokerHealth = BusHealth;

/** A topic with its explicit settings. Creating one that exists is a no-op: its settings are kept. */
export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor?: number;
  readonly configEntries?: Readonly<Record<string, string>>;
}

/** A consumed record: a BusMessage that also says where it came from. */
export interface KafkaBusMessage extends BusMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface KafkaBus extends Bus {
  /** Creates the topics that do not exist yet, with their partitions and configuration. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** The topics that exist, of those this client may see (with ACLs: DESCRIBE). */
  listTopics(): Promise<string[]>;
  /** Whether its consumers and its producer reach the broker now. */
  health(): BrokerHealth;
}

/** Errors of a broker that went away or is not there yet (not a refusal, not a handler's failure). */
const OUTAGE =
  /KafkaJS(GroupCoordinatorNotFound|Connection|ConnectionClosed|RequestTimeout|BrokerNotFound|NumberOfRetriesExceeded|LockTimeout|MetadataNotLoaded)(Error)?\b|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection error|Connection timeout|coordinator/i;

/** Whether an error that stopped a kafkajs consumer is the broker's absence (kafkajs does not restart every such one). */
function isOutage(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 6; depth++) {
    const { name, message, cause, originalError, retriable } = e as {
      name?: string;
      message?: string;
      cause?: unknown;
      originalError?: unknown;
      retriable?: boolean;
    };
    if (retriable === true || OUTAGE.test(`${name ?? ''} ${message ?? ''}`)) return true;
    e = cause ?? originalError;
  }
  return false;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);

/**
 * Delays between retries: 300 ms doubling up to 5 s, 12 times (about 35 s in all), so that a
 * broker restart of 10–20 s is ridden out by publishes and admin calls alike.
 */
const defaultRetry: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5_000, retries: 12 };

const levels = { error: LogLevel.ERROR, warn: LogLevel.WARN, info: LogLevel.INFO, debug: LogLevel.DEBUG };

/**
 * Keys of a kafkajs log's extra fields that would repeat, or be mistaken for, a key of the ledger's
 * own log lines (docs/operations.md, "Logs"): kept under `kafka<Key>` instead. kafkajs's
 * `correlationId` is a Kafka protocol request number, not the ledger's correlation id.
 */
const reservedKeys = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'name',
  'service',
  'module',
  'namespace',
  'requestId',
  'correlationId',
  'principal',
  'err',
]);

/** A kafkajs log's fields as a line of ours: its error as `err`, no key that our lines already have. */
function entryOf(namespace: string, fields: Record<string, unknown>): Record<string, unknown> {
  const { error, stack, ...rest } = fields;
  const entry: Record<string, unknown> = { namespace };
  for (const [key, value] of Object.entries(rest)) {
    entry[reservedKeys.has(key) ? `kafka${key[0]?.toUpperCase()}${key.slice(1)}` : key] = value;
  }
  if (error !== undefined || stack !== undefined) {
    entry.err = {
      type: 'KafkaJSError',
      message:
        typeof error === 'string' ? error : String((error as Error | undefined)?.message ?? error ?? ''),
      ...(typeof stack === 'string' ? { stack } : {}),
    };
  }
  return entry;
}

/**
 * Routes kafkajs's logs to the logger (a pino logger: JSON lines), level for level; kafkajs's
 * namespace (Connection, Consumer, …) becomes `namespace`, its own timestamp and logger name go.
 */
function logCreator(logger: KafkaBusLogger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const entry = entryOf(namespace, fields);
      switch (level) {
        case LogLevel.ERROR:
          // Error responses of single requests ("coordinator not available", a broker that went
          // away) are logged by the connection, then retried: only a failure that stops a client
          // is an error.
          if (namespace === 'Connection') logger.warn(entry, message);
          else logger.error(entry, message);
          break;
        case LogLevel.WARN:
          logger.warn(entry, message);
          break;
        case LogLevel.INFO:
          logger.info(entry, message);
          break;
        default:
          logger.debug(entry, message);
      }
    };
}

/** Kafka may repeat a header; the bus has one value per name, so the last one wins. */
function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) decoded[name] = last.toString();
  }
  return decoded;
}

/** The JSON value of a record, or the raw text when it is not JSON (the consumer decides). */
function decodeValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A delivered message. Its origin (topic, partition, offset) is readable but not enumerable, so
 * the message compares, spreads and serializes like the one that was published.
 */
function decode(topic: string, partition: number, record: KafkaMessage): KafkaBusMessage {
  const message = {
    key: record.key?.toString('utf8') ?? '',
    value: decodeValue(record.value),
    headers: decodeHeaders(record.headers),
  };
  Object.defineProperties(message, {
    topic: { value: topic, enumerable: false },
    partition: { value: partition, enumerable: false },
    offset: { value: record.offset, enumerable: false },
  });
  return message as KafkaBusMessage;
}

/** Records per produce request are capped by size, well under the broker's default 1 MiB per batch. */
const MAX_REQUEST_BYTES = 512 * 1024;

interface EncodedMessage {
  readonly key: string;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

const sizeOf = (m: EncodedMessage): number => {
  let bytes = 64 + Buffer.byteLength(m.key) + (m.value === null ? 0 : Buffer.byteLength(m.value));
  for (const [k, v] of Object.entries(m.headers)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
};

/** Consecutive chunks of at most `maxBytes` each; a single larger message goes alone. */
function chunksOf(messages: readonly EncodedMessage[], maxBytes: number): EncodedMessage[][] {
  const chunks: EncodedMessage[][] = [];
  let chunk: EncodedMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Connects once, on first use; a failed connection is retried on the next use. */
function lazily<T extends { connect(): Promise<void> }>(create: () => T) {
  let client: T | undefined;
  let connecting: Promise<T> | undefined;
  return {
    get: (): Promise<T> => {
      connecting ??= (async () => {
        client ??= create();
        await client.connect();
        return client;
      })().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
      return connecting;
    },
    created: () => client,
  };
}

/**
 * The bus on Apache Kafka, through kafkajs.
 *
 * - publish: one producer for the bus, acks from all in-sync replicas, one request in flight per
 *   broker so a retry cannot reorder records; it resolves once the broker acknowledged. Values are
 *   JSON. No Kafka transactions: delivery is at least once and consumers dedupe.
 * - consume: one kafkajs consumer per call, in its group, on its topics (the first and
 *   `alsoTopics`, which must exist), starting at the earliest offset of each partition the group
 *   has not committed. Each batch (one partition of one topic) goes to onMessages with its topic;
 *   its offset is committed only after onMessages resolved. If onMessages throws, the consumer
 *   stops without committing and onError is called once.
 */
export function getKafkaBus(options: KafkaBusOptions): KafkaBus {
  const config: KafkaConfig = {
    brokers: [...options.brokers],
    clientId: options.clientId,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: options.retry ?? defaultRetry,
    logLevel: options.logger ? levels[options.logLevel ?? 'info'] : LogLevel.NOTHING,
    ...(options.logger ? { logCreator: logCreator(options.logger) } : {}),
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
    // kafkajs types SASL per mechanism; these three share one shape.
    ...(options.sasl ? { sasl: { ...options.sasl } as SASLOptions } : {}),
  };
  const kafka = new Kafka(config);

  const producer = lazily<Producer>(() =>
    kafka.producer({
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
    }),
  );
  const admin = lazily<Admin>(() => kafka.admin());
  const consumers = new Set<Consumer>();
  let closed = false;

  const silenceMs = options.brokerSilenceMs ?? 6_000;
  /** Each running consumer's last answer from the broker, and the last error kafkajs reported. */
  const contacts = new Map<
    Consumer,
    { what: string; answeredAt: number; busySince?: number; lastError?: string }
  >();
  /**
   * The publishes waiting for the broker, and the last publish's failure: it counts until a publish
   * succeeds or a consumer has an answer from the broker after it (a failed publish may not be tried
   * again).
   */
  const publishing = new Set<{ since: number }>();
  let publishFailed: { at: number; failedAt: number; error: string } | undefined;

  const health = (): BrokerHealth => {
    const now = Date.now();
    const silent = (since: number, what: string, error?: string): BrokerHealth => ({
      connected: false,
      reason:
        `${what} has had no answer from the broker (${options.brokers.join(',')}) for ${Math.round((now - since) / 1000)} s` +
        (error ? `: ${error}` : ''),
      since: new Date(since).toISOString(),
    });
    for (const c of contacts.values()) {
      // A batch being handled is no silence of the broker: the handler heartbeats meanwhile.
      if (c.busySince !== undefined) continue;
      if (now - c.answeredAt > silenceMs) return silent(c.answeredAt, c.what, c.lastError);
    }
    const failed = publishFailed;
    if (failed && ![...contacts.values()].some((c) => c.answeredAt > failed.failedAt))
      return silent(failed.at, 'publishing', failed.error);
    for (const p of publishing) if (now - p.since > silenceMs) return silent(p.since, 'a publish');
    return { connected: true };
  };

  /**
   * Creates the topics that are missing, then waits until the broker's metadata has a leader for
   * every partition of every one: a topic just created can be unknown to it for a moment (KRaft),
   * and a consumer subscribing then fails to start.
   */
  const ensureTopics = async (specs: readonly TopicSpec[]): Promise<void> => {
    if (specs.length === 0) return;
    const client = await admin.get();
    const existing = new Set(await client.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      try {
        await client.createTopics({
          // kafkajs's own wait gives up on the first "unknown topic"; the loop below waits instead.
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.numPartitions,
            ...(s.replicationFactor !== undefined ? { replicationFactor: s.replicationFactor } : {}),
            configEntries: Object.entries(s.configEntries ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (error) {
        // Another process may have created some of them in between: that is fine.
        const errors = (error as { errors?: { type?: string }[] }).errors;
        // With ACLs, a topic this principal may not even DESCRIBE is missing from its list, and it
        // may not create it: the admin creates the topics beforehand (docs/topics.md, "Access control").
        if (errors?.some((e) => e.type === 'TOPIC_AUTHORIZATION_FAILED'))
          throw new Error(
            `not authorized to create the missing topics ${missing.map((s) => s.topic).join(', ')}: ` +
              'with ACLs the admin creates the topics first, and this user needs DESCRIBE on each (docs/topics.md)',
            { cause: error },
          );
        if (!errors?.length || errors.some((e) => e.type !== 'TOPIC_ALREADY_EXISTS')) throw error;
      }
    }
    const topics = specs.map((s) => s.topic);
    // A broker that has just started can take many seconds (~20 s seen here) to know a new topic.
    for (const deadline = Date.now() + 60_000; ; ) {
      let cause: unknown;
      try {
        const { topics: found } = await client.fetchTopicMetadata({ topics });
        if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true) throw error;
        cause = error;
      }
      if (Date.now() > deadline)
        throw new Error(`no leader for every partition of ${topics.join(', ')} after 60 s`, { cause });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const publish = async (topic: string, messages: readonly BusMessage[]): Promise<void> => {
    if (closed) throw new Error('the bus is closed');
    if (messages.length === 0) return;
    const attempt = { since: Date.now() };
    publishing.add(attempt);
    try {
      await send(topic, messages);
      publishFailed = undefined;
    } catch (error) {
      // The time it started waiting: a publish retries for ~35 s before it fails.
      publishFailed = { at: attempt.since, failedAt: Date.now(), error: messageOf(error) };
      throw error;
    } finally {
      publishing.delete(attempt);
    }
  };

  const send = async (topic: string, messages: readonly BusMessage[]): Promise<void> => {
    const client = await producer.get();
    const encoded = messages.map((m) => ({
      key: m.key,
      value: m.value === undefined ? null : JSON.stringify(m.value),
      headers: { ...m.headers },
    }));
    // One request per chunk, in order (one request in flight): the broker refuses a record batch
    // over the topic's max.message.bytes, and retrying that refusal can never succeed.
    for (const chunk of chunksOf(encoded, MAX_REQUEST_BYTES))
      await client.send({ topic, acks: -1, messages: chunk });
  };

  const consume = async (topic: string, consumeOptions: ConsumeOptions): Promise<Consumer> => {
    if (closed) throw new Error('the bus is closed');
    const { groupId, onMessages, onError } = consumeOptions;
    const subscribed = [...new Set([topic, ...(consumeOptions.alsoTopics ?? [])])];
    const kafkaConsumer: KafkaConsumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
      // A member that died without leaving (kill -9) holds its partitions until its session times
      // out; 10 s (the broker allows 6 s and up) lets a restarted service take over quickly.
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      retry: options.retry ?? defaultRetry,
    });
    let stopped: Promise<void> | undefined;
    let reported = false;
    let restartTimer: ReturnType<typeof setTimeout> | undefined;

    const stop = (): Promise<void> => {
      clearTimeout(restartTimer);
      contacts.delete(consumer);
      stopped ??= kafkaConsumer.disconnect().finally(() => consumers.delete(consumer));
      return stopped;
    };
    /** Stops the consumer, then reports why, once. */
    const fail = (error: unknown): void => {
      if (reported) return;
      reported = true;
      // Not awaited here: disconnecting waits for the batch in progress, which is the caller.
      setImmediate(() => {
        void stop()
          .catch(() => undefined)
          .then(() => onError?.(error));
      });
    };

    const eachBatch = async ({
      batch,
      resolveOffset,
      commitOffsetsIfNecessary,
      uncommittedOffsets,
      isRunning,
      isStale,
      pause,
      heartbeat,
    }: EachBatchPayload): Promise<void> => {
      if (reported || !isRunning() || isStale() || batch.messages.length === 0) return;
      const messages = batch.messages.map((m) => decode(batch.topic, batch.partition, m));
      // A slow handler must not lose the group: keep heartbeating while it works.
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
      // The handler's time is no silence of the broker (committing after it is, if it hangs).
      const contact = contacts.get(consumer);
      if (contact) contact.busySince = Date.now();
      try {
        await onMessages(messages, { topic: batch.topic });
      } catch (error) {
        // Nothing of this batch is resolved nor committed: the group will get it again.
        pause();
        fail(error);
        return;
      } finally {
        clearInterval(beat);
        if (contact) {
          delete contact.busySince;
          contact.answeredAt = Date.now();
        }
      }
      const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
      resolveOffset(last.offset);
      // autoCommit is off, so commit what was resolved, explicitly, before the next batch.
      await commitOffsetsIfNecessary(uncommittedOffsets());
    };

    const runOptions = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch,
    };
    let restarts = 0;
    /**
     * Runs the consumer again after a broker outage that kafkajs does not restart it from (a broker
     * that goes away while the group rebalances: "Failed to find group coordinator", non-retriable
     * to kafkajs): 1 s doubling to 30 s between attempts, for as long as the outage lasts.
     */
    const restart = (error: unknown): void => {
      const waitMs = Math.min(30_000, 1_000 * 2 ** Math.min(restarts++, 5));
      options.logger?.warn(
        { err: { type: (error as Error)?.name, message: messageOf(error) }, groupId, waitMs },
        'consumer stopped by a broker outage; running it again',
      );
      restartTimer = setTimeout(async () => {
        if (stopped || reported) return;
        try {
          await kafkaConsumer.connect();
          await kafkaConsumer.run(runOptions);
        } catch (e) {
          if (stopped || reported) return;
          if (isOutage(e)) restart(e);
          else fail(e);
        }
      }, waitMs);
    };

    kafkaConsumer.on(kafkaConsumer.events.CRASH, ({ payload }) => {
      const contact = contacts.get(consumer);
      if (contact) contact.lastError = messageOf(payload.error);
      // kafkajs restarts a consumer after a retriable failure (a broker that went away), and this
      // one after the outages it does not; any other stop is for good.
      if (payload.restart || reported || stopped) return;
      if (isOutage(payload.error)) restart(payload.error);
      else fail(payload.error);
    });
    kafkaConsumer.on(kafkaConsumer.events.GROUP_JOIN, () => {
      restarts = 0;
    });

    const consumer: Consumer = { close: stop };
    consumers.add(consumer);
    // Every answer of the broker to this consumer (fetches, heartbeats, joins) is a sign of life.
    const contact: { what: string; answeredAt: number; busySince?: number; lastError?: string } = {
      what: `the consumer of ${subscribed.join(', ')} (group ${groupId})`,
      answeredAt: Date.now(),
    };
    contacts.set(consumer, contact);
    kafkaConsumer.on(kafkaConsumer.events.REQUEST, () => {
      contact.answeredAt = Date.now();
      delete contact.lastError;
    });
    kafkaConsumer.on(kafkaConsumer.events.REQUEST_TIMEOUT, ({ payload }) => {
      contact.lastError = `request ${payload.apiName} timed out`;
    });

    try {
      await kafkaConsumer.connect();
      // A fixed list (kafkajs resolves a subscription when the consumer starts): to read another,
      // the caller closes this consumer and consumes again in the same group.
      await kafkaConsumer.subscribe({ topics: subscribed, fromBeginning: true });
      await kafkaConsumer.run(runOptions);
    } catch (error) {
      await stop().catch(() => undefined);
      throw error;
    }
    return consumer;
  };

  return {
    ensureTopics,
    listTopics: async () => (await admin.get()).listTopics(),
    publish,
    consume,
    health,
    close: async () => {
      closed = true;
      await Promise.allSettled([...consumers].map((c) => c.close()));
      await Promise.allSettled([producer.created()?.disconnect(), admin.created()?.disconnect()]);
    },
  };
}
