import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_RECORDED } from '@ledger/domain';
import { SEED } from '../../../services/all-in-one/test/seed.ts';
import { OWNER } from '../../../services/ingestion/src/bootstrap.ts';
import { SERVICES, type Stack } from '../../e2e/stack.ts';
import { kafkaClient, removeStack, startTestStack } from '../../e2e/support.ts';
import {
  InvariantBroken,
  readStoreLog,
  servedIsReplayed,
  settled,
  useCredential,
  verifies,
} from './invariants.ts';
import { buildCommand, mutate, newModel } from './model.ts';
import type { Spec } from './specs.ts';
import type { Stats } from './stats.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The stream of a record's Idempotency-Key: keys are scoped to the principal, here the shared topic's (the stack's owner). */
const keyStream = (key: string) => sha256(`${OWNER}\u0000${key}`);

/** A record for the commands topic from a spec: a command (valid, or spoiled), or raw bytes. */
function recordsOf(
  spec: Spec,
  model: ReturnType<typeof newModel>,
): { value: string; actor?: string; correlation?: string }[] {
  if (spec.kind === 'raw') return [{ value: spec.body }];
  if (spec.kind !== 'write') return [];
  return spec.commands.map((c) => ({
    value: JSON.stringify(mutate(buildCommand(model, c), c.mutation)),
    ...(spec.headers.actor !== undefined ? { actor: spec.headers.actor } : {}),
    ...(spec.headers.correlation !== undefined ? { correlation: spec.headers.correlation } : {}),
  }));
}

/**
 * One run against the real split deployment: records published on `ledger.commands.v1`, in a few
 * rounds. Each record must end up recorded (the log holds its Idempotency-Key) or on the rejected
 * topic with its reason; ingestion must never stop. Then the invariants of the whole, on the three
 * services, and the same after all three restart.
 */
export async function runKafka(specs: readonly Spec[], stats: Stats, runId: string): Promise<void> {
  const stack: Stack = await startTestStack(`fuzz-${runId}`);
  const rejected = new Map<string, number>();
  const consumer = kafkaClient().consumer({ groupId: `${stack.namespace}fuzz-reader` });
  try {
    useCredential(stack.ownerKey);
    const seeded = await fetch(`${stack.url('ingestion')}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.ownerKey}` },
      body: JSON.stringify(SEED),
    });
    if (seeded.status !== 201) throw new InvariantBroken(`the seed was refused: ${await seeded.text()}`);
    await consumer.connect();
    await consumer.subscribe({ topic: `${stack.namespace}ledger.commands.v1.rejected`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.headers?.['Idempotency-Key']?.toString();
        const problem = (JSON.parse(String(message.value)) as { problem: { status: number } }).problem;
        if (key) rejected.set(key, problem.status);
      },
    });

    const model = newModel();
    const producer = kafkaClient().producer();
    await producer.connect();
    const keys: string[] = [];
    const rounds = 3;
    try {
      for (let round = 0; round < rounds; round++) {
        const part = specs.filter((_, i) => i % rounds === round);
        const records = part.flatMap((s) => recordsOf(s, model));
        const messages = records.map((r, i) => {
          const reuse = i > 0 && i % 11 === 0;
          const key = reuse ? (keys.at(-1) as string) : `fz-k-${runId}-${round}-${i}`;
          if (!reuse) keys.push(key);
          const headers: Record<string, string> = { 'Idempotency-Key': key };
          if (r.actor !== undefined) headers.actor = r.actor;
          if (r.correlation !== undefined) headers['correlation-id'] = r.correlation;
          return { key: String(i % 3), value: r.value, headers };
        });
        if (messages.length)
          await producer.send({ topic: `${stack.namespace}ledger.commands.v1`, acks: -1, messages });
        stats.records.published += messages.length;
        await accounted(stack, keys, rejected);
        // What was recorded, for the next round's corrections and retractions.
        for (const e of await readStoreLog(stack.storePath))
          if (e.type === 'ledger.value-submitted.v1')
            model.submissions.push({
              id: (e.data as { submissionId: string }).submissionId,
              retracted: false,
            });
      }
    } finally {
      await producer.disconnect();
    }
    const recordedKeys = await recordedIdempotencyKeys(stack);
    for (const key of keys) if (recordedKeys.has(keyStream(key))) stats.records.recorded++;
    for (const status of rejected.values())
      stats.records.rejected.set(status, (stats.records.rejected.get(status) ?? 0) + 1);
    if (/a consumer stopped for good/.test(stack.output('ingestion')))
      throw new InvariantBroken(
        `ingestion stopped its consumer:\n${stack.output('ingestion').slice(-2_000)}`,
      );

    const urls = SERVICES.map((s) => stack.url(s));
    await settled(urls);
    stats.rankingsCompared += await servedIsReplayed(stack.url('projection'), stack.storePath);
    await verifies(stack.url('projection'), stack.storePath);
    for (const service of SERVICES) await stack.kill(service, 'SIGTERM');
    for (const service of SERVICES) await stack.start(service);
    await settled(SERVICES.map((s) => stack.url(s)));
    await servedIsReplayed(stack.url('projection'), stack.storePath, 1);
    stats.runs++;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await removeStack(stack);
  }
}

/** The SHA-256 of every Idempotency-Key the log records a write for. */
async function recordedIdempotencyKeys(stack: Stack): Promise<Set<string>> {
  const log = await readStoreLog(stack.storePath);
  return new Set(
    log
      .filter((e) => e.type === IDEMPOTENCY_KEY_RECORDED)
      .map((e) => (e.data as { keyHash: string }).keyHash),
  );
}

/** Waits until every record's key is recorded in the log or on the rejected topic. */
async function accounted(stack: Stack, keys: readonly string[], rejected: ReadonlyMap<string, number>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const recorded = await recordedIdempotencyKeys(stack);
    const missing = keys.filter((k) => !rejected.has(k) && !recorded.has(keyStream(k)));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new InvariantBroken(
        `${missing.length} records neither recorded nor rejected (${missing.slice(0, 5).join(', ')}):\n${stack.output('ingestion').slice(-2_000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
