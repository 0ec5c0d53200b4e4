import { afterAll, describe, expect, it } from 'vitest';
import { getKafkaBus, type KafkaBusLogger } from '../src/index.ts';
import { kafkaTestEnv } from '../src/testing.ts';

// Against the real broker of vitest.kafka-setup.ts (infra/kafka/broker.sh), never skipped.
const brokers = [...kafkaTestEnv().brokers];

/** A logger that keeps what it is given, as pino would write it: the fields, then `msg`. */
function keepingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  const logger: KafkaBusLogger = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
  return { logger, lines };
}

describe('the Kafka bus and kafkajs', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  afterAll(() => {
    process.off('warning', onWarning);
  });

  it('talks to the broker without a negative timer (no TimeoutNegativeWarning, no 1 ms loop)', async () => {
    const { logger } = keepingLogger();
    const bus = getKafkaBus({ brokers, clientId: 'bus-kafka-test-timers', logger });
    try {
      // Each answer of the broker makes kafkajs check its queue of pending requests.
      for (let i = 0; i < 5; i++) await bus.listTopics();
      // Idle, a connection sets no timer after each answer: count the timers set in 200 ms.
      const original = globalThis.setTimeout;
      let timers = 0;
      globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
        timers++;
        return original(...args);
      }) as typeof setTimeout;
      try {
        await new Promise((resolve) => original(resolve, 200));
      } finally {
        globalThis.setTimeout = original;
      }
      expect(timers).toBeLessThan(20);
    } finally {
      await bus.close();
    }
    // Node emits process warnings on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'TimeoutNegativeWarning').map((w) => w.message)).toEqual([]);
  });

  it("passes kafkajs's lines to the logger with its namespace, and no key the ledger's lines have", async () => {
    const { logger, lines } = keepingLogger();
    const bus = getKafkaBus({ brokers, clientId: 'bus-kafka-test-logs', logger, logLevel: 'debug' });
    try {
      await bus.listTopics();
    } finally {
      await bus.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const reserved = [
      'level',
      'time',
      'msg',
      'name',
      'service',
      'module',
      'correlationId',
      'logger',
      'timestamp',
    ];
    for (const { fields } of lines) {
      expect(typeof fields.namespace).toBe('string');
      for (const key of reserved) expect(fields, key).not.toHaveProperty(key);
    }
    // The connection's debug lines number their requests: kept, but not as the ledger's correlationId.
    expect(lines.some(({ fields }) => typeof fields.kafkaCorrelationId === 'number')).toBe(true);
  });
});
