import { randomUUID } from 'node:crypto';
import {
  type Bus,
  type BusMessage,
  type Consumer,
  commandsTopicOf,
  commandsTopicSuffix,
  topics,
} from '@ledger/bus';
import { type AuthMethod, invalid, Rejection, tooDeep, type WriteState } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import {
  type Logger,
  type Problem,
  problem,
  type RejectedCommand,
  refusalReason,
  toProblem,
} from '@ledger/http';
import { requestHash } from './idempotency.ts';
import type { Ingestion } from './ingest.ts';

export type { RejectedCommand } from '@ledger/http';

const header = (m: BusMessage, name: string) =>
  Object.entries(m.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** A correlation id from a header is kept only if it is one: the same rule as X-Correlation-Id. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Header names that may carry a credential: never copied into a rejected record, which others read. */
const CREDENTIAL_HEADER = /authorization|token|secret|password|passwd|credential|cookie|api[-_]?key|^ilk_/i;

/** Values that are credentials whatever their header's name: an API key (`ilk_…`), an HTTP scheme and its token. */
const CREDENTIAL_VALUE = /\bilk_|^\s*(bearer|basic|digest|negotiate)\s/i;

const withoutCredentials = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).filter(
      ([name, value]) => !CREDENTIAL_HEADER.test(name) && !CREDENTIAL_VALUE.test(value),
    ),
  );

/** A record as the rejected topic repeats it: as it came, unless it cannot be written as JSON again. */
const repeatable = (value: unknown) =>
  tooDeep(value) ? 'a value nested deeper than 64 levels (not repeated here; see source)' : value;

/** A command record's {type, body}; a Rejection (400) for anything else. */
function commandOf(m: BusMessage): { type: unknown; body: unknown } {
  let command = m.value;
  if (typeof command === 'string') {
    try {
      command = JSON.parse(command);
    } catch (error) {
      throw Object.assign(error as Error, { type: 'entity.parse.failed' });
    }
  }
  if (!command || typeof command !== 'object' || Array.isArray(command))
    throw invalid('', 'a command record is a JSON object {type, body}');
  const keys = Object.keys(command);
  const extra = keys.find((k) => k !== 'type' && k !== 'body');
  if (extra !== undefined) throw invalid(extra, 'unknown field; a command record has exactly type and body');
  const { type, body } = command as Record<string, unknown>;
  return { type, body };
}

/** Who the records of a topic act as, and how that is known. */
export interface CommandActor {
  readonly id: string;
  readonly auth: AuthMethod;
}

/** The command consumer: it reads a fixed list of topics, and reads again with more as principals are registered. */
export interface CommandConsumer extends Consumer {
  /** The topics it reads now (without namespace): the shared one first, then the principals'. */
  topics(): readonly string[];
  /** Looks at the registered principals now and reads the topics of those it does not read yet. */
  recheck(): Promise<void>;
}

/** How often the registered principals are looked at, by default (LEDGER_KAFKA_COMMANDS_RECHECK). */
export const DEFAULT_RECHECK_MS = 5_000;

/**
 * Each principal's commands topic (without namespace) and the registered principals it names: one,
 * or two where `svc:x` and `user:x` share `ledger.commands.v1.x`. Principals whose id cannot name a
 * topic (`svc:rejected`) have none.
 */
function principalTopics(state: WriteState): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const id of state.principals.keys()) {
    let topic: string;
    try {
      topic = commandsTopicOf(id);
    } catch {
      continue;
    }
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), id]);
  }
  return byTopic;
}

/**
 * Commands from Kafka: records shaped like the items of POST /v1/batch, `{type, body}`, keyed by
 * unit id, on
 *
 * - each registered principal's own topic, `ledger.commands.v1.<principal>` (`commandsTopicOf`),
 *   which only that principal may write (the broker's ACLs): its records act as that principal,
 *   recorded with `auth: {method: 'kafka-topic', topic}`, and its grants authorise each one, as
 *   over HTTP (a refusal is a 403). A record carries no producer identity and a header can be
 *   forged, so the topic is the credential: an `actor` header is refused (400), and no header
 *   (Authorization among them) is read as a credential;
 * - the shared `ledger.commands.v1`, whose records act as `principal` (LEDGER_KAFKA_COMMANDS_PRINCIPAL),
 *   or are refused (401) without one: what deployments had before the principals' topics.
 *
 * The principals' topics are those of the write model's principals (`ingestion.state()`), looked at
 * every `recheckMs`: the topics of principals registered since are prepared (`bus.prepareTopics`:
 * created where this service may; with ACLs the admin creates them, and a missing one is logged and
 * looked for again), and the consumer is closed and started again on the longer list, in the same
 * group, so the offsets of the topics it read are kept and a new topic is read from its start.
 *
 * Each record is one atomic write (the records of a batch share appends). A record that is
 * malformed or refused goes to `ledger.commands.v1.rejected` (without its credential-like headers)
 * and the consumer carries on, and so does one that makes the handler fail while the store answers
 * (a bug the record provokes: redelivering it would fail again, for ever). A failure of the store
 * itself stops the consumer, so the record is redelivered after a restart.
 *
 * Every record writes under an idempotency key, scoped to the principal it acts as: its own
 * `Idempotency-Key` header, or else its topic, partition and offset, so a record delivered again
 * (after a restart, or when the consumer starts again on more topics) is recorded once.
 */
export async function startCommandConsumer(deps: {
  bus: Bus;
  store: EventStore;
  ingestion: Ingestion;
  logger: Logger;
  /**
   * Who the records of the shared topic act as: the topic's WRITE ACL is the credential and this
   * principal's grants authorise each record. Undefined: every such record is refused (401).
   */
  principal: CommandActor | undefined;
  /** LEDGER_AUTH=off: every record of every topic acts as this principal (auth method none). */
  everyRecordAs?: CommandActor;
  /** Milliseconds between looks at the registered principals (default 5 s); 0 reads no principal's topic. */
  recheckMs?: number;
  /** Told of each record sent to the rejected topic, with why (`refusalReason`): the metrics. */
  onRejected?: (reason: string) => void;
}): Promise<CommandConsumer> {
  const { bus, store, ingestion, principal, everyRecordAs } = deps;
  const recheckMs = deps.recheckMs ?? DEFAULT_RECHECK_MS;
  const logger = deps.logger.child({ consumer: topics.commands });

  /** The principals' topics as of the last look, and the principals each names. */
  let byTopic = new Map<string, string[]>();
  const look = () => {
    byTopic = recheckMs > 0 ? principalTopics(ingestion.state()) : new Map();
    return byTopic;
  };

  /** Who a record on `topic` (as the consumer named it) acts as; a Rejection (401) for no one. */
  const actorOf = (topic: string | undefined): CommandActor => {
    if (everyRecordAs) return everyRecordAs;
    if (topic === topics.commands) {
      if (principal) return principal;
      throw new Rejection(
        'unauthenticated',
        'the shared commands topic acts as no principal here (LEDGER_KAFKA_COMMANDS_PRINCIPAL is not set): publish on your own, ledger.commands.v1.<principal>',
      );
    }
    // A topic read before this process saw its principal (another writer registered it): look again.
    const ids = topic === undefined ? undefined : (byTopic.get(topic) ?? look().get(topic));
    if (topic === undefined || commandsTopicSuffix(topic) === undefined || !ids?.length)
      throw new Rejection(
        'unauthenticated',
        `${topic ?? 'this topic'} is the commands topic of no principal`,
      );
    if (ids.length > 1)
      throw new Rejection(
        'unauthenticated',
        `${topic} is the commands topic of ${ids.join(' and ')} alike: its records act as neither`,
      );
    return { id: ids[0] as string, auth: { method: 'kafka-topic', topic } };
  };

  const reject = async (
    m: BusMessage,
    topic: string,
    why: Problem,
    reason: string,
    principalId: string | null,
  ) => {
    const rejected: RejectedCommand = {
      refusalId: randomUUID(),
      source: { topic, partition: m.partition, offset: m.offset },
      principalId,
      key: m.key,
      headers: withoutCredentials(m.headers),
      record: repeatable(m.value),
      problem: why,
      rejectedAt: new Date().toISOString(),
    };
    await bus.publish(topics.rejectedCommands, [
      {
        key: m.key,
        value: rejected,
        headers: { ...withoutCredentials(m.headers), 'rejection-status': String(why.status) },
      },
    ]);
    deps.onRejected?.(reason);
    logger.info(
      { topic, offset: m.offset, partition: m.partition, status: why.status, detail: why.detail },
      'command rejected',
    );
  };

  /** Whether the store answers: if not, a failure is the ledger's, and the record must be tried again. */
  const storeAnswers = () =>
    store.head().then(
      () => true,
      () => false,
    );

  /** `named`: the topic as the consumer named it, which says who the record acts as. */
  const handle = async (m: BusMessage, named: string | undefined) => {
    // The topic as the bus names it (with its namespace): the record's coordinates, and its key.
    const topic = m.topic ?? named ?? topics.commands;
    const where = `kafka:${topic}:${m.partition ?? 0}:${m.offset ?? ''}`;
    let refusal: Problem;
    let reason: string;
    let principalId: string | null = null;
    try {
      const actor = actorOf(named);
      principalId = actor.id;
      if (header(m, 'actor') !== undefined)
        throw invalid('actor', 'is not taken: a record acts as the principal of the topic it is on');
      const { type, body } = commandOf(m);
      const correlationId = header(m, 'correlation-id');
      await ingestion.execute({
        commands: [{ type, body }],
        pathOf: () => 'body',
        idempotencyKey: header(m, 'Idempotency-Key') ?? where,
        requestHash: requestHash('kafka', { type, body }),
        actor: actor.id,
        auth: actor.auth,
        correlationId: correlationId && CORRELATION_ID.test(correlationId) ? correlationId : where,
        causationId: where,
        submissionAddressedBy: 'body',
      });
      return;
    } catch (error) {
      refusal = toProblem(error);
      reason = refusalReason(error, refusal.status);
      if (refusal.status >= 500) {
        if (!(await storeAnswers())) throw error;
        logger.error(
          { err: error, topic, offset: m.offset, partition: m.partition },
          'a command record made the handler fail',
        );
        refusal = problem(500, `the ledger could not handle this record: ${(error as Error).message}`);
      }
    }
    await reject(m, topic, refusal, reason, principalId);
  };

  let reading: string[] = [topics.commands];
  let consumer: Consumer | undefined;
  let stopped = false;
  let failed = false;
  /** The principals' topics found missing, with why: each is logged when its reason is new. */
  const missing = new Map<string, string>();

  const start = (list: readonly string[]) =>
    bus.consume(list[0] as string, {
      groupId: 'ingestion-commands',
      ...(list.length > 1 ? { alsoTopics: list.slice(1) } : {}),
      // The records of a batch are handed to ingestion together, in order, so they share group
      // commits; offsets are committed only after every one of them is recorded or rejected.
      onMessages: async (messages, source) => {
        // A bus that names no source: the topic, if the consumer reads only one.
        const named = source?.topic ?? (list.length === 1 ? list[0] : undefined);
        const outcomes = await Promise.allSettled(messages.map((m) => handle(m, named)));
        const failure = outcomes.find((o) => o.status === 'rejected');
        if (failure) throw failure.reason;
      },
      onError: (error) => {
        failed = true;
        logger.error({ err: error }, 'command consumer stopped');
      },
    });

  /** Of these principals' topics, those that exist now (created here if this service may). */
  const prepare = async (wanted: readonly string[]): Promise<string[]> => {
    if (!bus.prepareTopics) return [...wanted];
    const prepared = await bus.prepareTopics(wanted);
    for (const topic of prepared.ready) missing.delete(topic);
    // Logged when a topic is found missing, or for another reason: not at every look.
    const news = prepared.missing.filter(({ topic, reason }) => missing.get(topic) !== reason);
    for (const { topic, reason } of prepared.missing) missing.set(topic, reason);
    if (news.length > 0)
      logger.warn(
        {
          count: news.length,
          missing: news.slice(0, 20).map((m) => ({ ...m, principals: byTopic.get(m.topic) })),
        },
        `the commands topics of ${news.length} principal(s) do not exist and could not be created here: ` +
          'their records are read once they exist (with ACLs the admin creates them, docs/topics.md); ' +
          `looking again every ${recheckMs / 1000} s`,
      );
    return [...prepared.ready];
  };

  const recheck = async () => {
    if (stopped || failed) return;
    // Principals another process registered (the CLI, another ingestion) count too.
    await ingestion.catchUp();
    const read = new Set(reading);
    const fresh = [...look().keys()].filter((t) => !read.has(t));
    const ready = fresh.length > 0 ? await prepare(fresh) : [];
    if (stopped) return;
    if (ready.length === 0) {
      // A start that failed last time (see below) is tried again.
      consumer ??= await start(reading);
      return;
    }
    const next = [...reading, ...ready];
    const previous = consumer;
    consumer = undefined;
    // Closing waits for the batch in hand and commits it; what it did not commit is delivered again
    // to the next consumer, and recorded once (its idempotency key).
    await previous?.close();
    try {
      consumer = await start(next);
      reading = next;
      logger.info({ topics: ready }, 'reading the commands topics of principals registered since');
    } catch (error) {
      logger.error(
        { err: error, topics: ready },
        'could not read the new commands topics; reading the others again, and trying again later',
      );
      consumer = await start(reading);
    }
  };

  // Serialized: the timer's looks and the callers' never overlap.
  let checking: Promise<void> = Promise.resolve();
  const checkNow = (): Promise<void> => {
    checking = checking.then(recheck).catch((error: unknown) => {
      logger.error({ err: error }, 'could not look for new principals’ commands topics; looking again later');
    });
    return checking;
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped || failed || recheckMs <= 0) return;
    timer = setTimeout(() => void checkNow().then(schedule), recheckMs);
    timer.unref();
  };

  const initial = [...look().keys()];
  reading = [topics.commands, ...(initial.length > 0 ? await prepare(initial) : [])];
  consumer = await start(reading);
  if (reading.length > 1)
    logger.info({ topics: reading.slice(1) }, 'reading the principals’ commands topics');
  schedule();

  return {
    topics: () => [...reading],
    recheck: checkNow,
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      await checking;
      await consumer?.close();
    },
  };
}
