import { type Bus, type BusMessage, type Consumer, topics } from '@ledger/bus';
import { invalid, tooDeep } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { type Logger, type Problem, problem, toProblem } from '@ledger/http';
import { requestHash } from './idempotency.ts';
import type { Ingestion } from './ingest.ts';
import { actorOf } from './routes.ts';

/** What lands on the dead-letter topic for a refused command: the record, where it came from, and why. */
export interface RejectedCommand {
  readonly source: { readonly topic: string; readonly partition?: number; readonly offset?: string };
  readonly key: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly record: unknown;
  readonly problem: Problem;
  readonly rejectedAt: string;
}

const header = (m: BusMessage, name: string) =>
  Object.entries(m.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** A correlation id from a header is kept only if it is one: the same rule as X-Correlation-Id. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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

/**
 * Integrators' commands from `ledger.commands.v1`: records shaped like the items of POST /v1/batch,
 * `{type, body}`, keyed by unit id. Each is one atomic write (the records of a batch share appends).
 * A record that is malformed or refused goes to `ledger.commands.v1.rejected` and the consumer
 * carries on, and so does one that makes the handler fail while the store answers (a bug the record
 * provokes: redelivering it would fail again, for ever). A failure of the store itself stops the
 * consumer, so the record is redelivered after a restart.
 *
 * Every record writes under an idempotency key, its own `Idempotency-Key` header or else its
 * topic, partition and offset, so a redelivered record is recorded once.
 */
export function startCommandConsumer(deps: {
  bus: Bus;
  store: EventStore;
  ingestion: Ingestion;
  logger: Logger;
}): Promise<Consumer> {
  const { bus, store, ingestion } = deps;
  const logger = deps.logger.child({ consumer: topics.commands });

  const reject = async (m: BusMessage, why: Problem) => {
    const rejected: RejectedCommand = {
      source: { topic: m.topic ?? topics.commands, partition: m.partition, offset: m.offset },
      key: m.key,
      headers: m.headers,
      record: repeatable(m.value),
      problem: why,
      rejectedAt: new Date().toISOString(),
    };
    await bus.publish(topics.rejectedCommands, [
      { key: m.key, value: rejected, headers: { ...m.headers, 'rejection-status': String(why.status) } },
    ]);
    logger.info(
      { offset: m.offset, partition: m.partition, status: why.status, detail: why.detail },
      'command rejected',
    );
  };

  /** Whether the store answers: if not, a failure is the ledger's, and the record must be tried again. */
  const storeAnswers = () =>
    store.head().then(
      () => true,
      () => false,
    );

  const handle = async (m: BusMessage) => {
    const where = `kafka:${m.topic ?? topics.commands}:${m.partition ?? 0}:${m.offset ?? ''}`;
    let refusal: Problem;
    try {
      const { type, body } = commandOf(m);
      const correlationId = header(m, 'correlation-id');
      await ingestion.execute({
        commands: [{ type, body }],
        pathOf: () => 'body',
        idempotencyKey: header(m, 'Idempotency-Key') ?? where,
        requestHash: requestHash('kafka', { type, body }),
        actor: actorOf(header(m, 'actor') ?? 'kafka', 'actor'),
        correlationId: correlationId && CORRELATION_ID.test(correlationId) ? correlationId : where,
        causationId: where,
        submissionAddressedBy: 'body',
      });
      return;
    } catch (error) {
      refusal = toProblem(error);
      if (refusal.status >= 500) {
        if (!(await storeAnswers())) throw error;
        logger.error(
          { err: error, offset: m.offset, partition: m.partition },
          'a command record made the handler fail',
        );
        refusal = problem(500, `the ledger could not handle this record: ${(error as Error).message}`);
      }
    }
    await reject(m, refusal);
  };

  return bus.consume(topics.commands, {
    groupId: 'ingestion-commands',
    // The records of a batch are handed to ingestion together, in order, so they share group
    // commits; offsets are committed only after every one of them is recorded or rejected.
    onMessages: async (messages) => {
      const outcomes = await Promise.allSettled(messages.map(handle));
      const failure = outcomes.find((o) => o.status === 'rejected');
      if (failure) throw failure.reason;
    },
    onError: (error) => logger.error({ err: error }, 'command consumer stopped'),
  });
}
