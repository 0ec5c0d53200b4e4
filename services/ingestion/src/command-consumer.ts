import { type Bus, type BusMessage, type Consumer, topics } from '@ledger/bus';
import { type Logger, type Problem, problem, toProblem } from '@ledger/http';
import { requestHash } from './idempotency.ts';
import type { Ingestion } from './ingest.ts';

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

/**
 * Integrators' commands from `ledger.commands.v1`: records shaped like the items of POST /v1/batch,
 * `{type, body}`, keyed by unit id. Each is one atomic write (the records of a batch share appends).
 * A record that is malformed or refused goes to `ledger.commands.v1.rejected` and the consumer
 * carries on; a failure of the store stops the consumer, so the record is redelivered after a restart.
 *
 * Every record writes under an idempotency key, its own `Idempotency-Key` header or else its
 * topic, partition and offset, so a redelivered record is recorded once.
 */
export function startCommandConsumer(deps: {
  bus: Bus;
  ingestion: Ingestion;
  logger: Logger;
}): Promise<Consumer> {
  const { bus, ingestion } = deps;
  const logger = deps.logger.child({ consumer: topics.commands });

  const reject = async (m: BusMessage, why: Problem) => {
    const rejected: RejectedCommand = {
      source: { topic: m.topic ?? topics.commands, partition: m.partition, offset: m.offset },
      key: m.key,
      headers: m.headers,
      record: m.value,
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

  const handle = async (m: BusMessage) => {
    let command = m.value;
    if (typeof command === 'string') {
      try {
        command = JSON.parse(command);
      } catch (error) {
        return reject(m, toProblem(Object.assign(error as Error, { type: 'entity.parse.failed' })));
      }
    }
    const { type, body, ...extra } = (command ?? {}) as Record<string, unknown>;
    if (!command || typeof command !== 'object' || Array.isArray(command) || Object.keys(extra).length > 0)
      return reject(
        m,
        problem(400, 'A command record is a JSON object {type, body}.', {
          errors: [{ path: '', message: 'must be an object with exactly type and body' }],
        }),
      );
    const where = `kafka:${m.topic ?? topics.commands}:${m.partition ?? 0}:${m.offset ?? ''}`;
    try {
      await ingestion.execute({
        commands: [{ type, body }],
        pathOf: () => 'body',
        idempotencyKey: header(m, 'Idempotency-Key') ?? where,
        requestHash: requestHash('kafka', { type, body }),
        actor: header(m, 'actor') ?? 'kafka',
        correlationId: header(m, 'correlation-id') ?? where,
        causationId: where,
        submissionAddressedBy: 'body',
      });
    } catch (error) {
      const refusal = toProblem(error);
      if (refusal.status >= 500) throw error;
      await reject(m, refusal);
    }
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
