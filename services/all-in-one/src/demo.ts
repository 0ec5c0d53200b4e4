import { readFile } from 'node:fs/promises';
import {
  ACCESS_EVENT_TYPES,
  type Command,
  createWriteState,
  type Role,
  requirementsOf,
  valueKey,
  type WriteState,
} from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { createWriteModel, type Ingestion, requestHash } from '@ledger/ingestion';
import { z } from 'zod';

export const DEMO_FILE = new URL('../demo/ba-ria-vung-tau.json', import.meta.url);

const DemoFile = z.object({
  title: z.string(),
  batches: z.array(
    z.object({
      recordedAt: z.string(),
      actor: z.string(),
      note: z.string().optional(),
      commands: z.array(z.object({ type: z.string(), body: z.record(z.string(), z.unknown()) })),
    }),
  ),
});

/**
 * Corrections and retractions in the demo file address a value (unit, indicator, period) rather
 * than a submission id, which the ledger assigns when the value is submitted.
 */
function resolveSubmission(state: WriteState, command: { type: string; body: Record<string, unknown> }) {
  if (command.type !== 'correction' && command.type !== 'retraction') return command;
  const { unitId, indicator, period, ...rest } = command.body;
  if (rest.submissionId !== undefined) return command;
  const submissionId = state.active.get(valueKey(String(unitId), String(indicator), String(period)));
  if (!submissionId)
    throw new Error(`demo ${command.type} of ${unitId}/${indicator}/${period}: no submission`);
  return { type: command.type, body: { ...rest, submissionId } };
}

/** Who loads the demo, and seals the ledger after it. */
const DEMO_LOADER = 'svc:demo';

const principalOf = (actor: string) => `svc:${actor}`;

const write = (
  ingestion: Ingestion,
  commands: readonly { type: string; body: Record<string, unknown> }[],
  actor: string,
  correlationId: string,
  recordedAt: string | undefined,
  batch?: number,
) =>
  ingestion.execute({
    commands,
    pathOf: (n) => (batch === undefined ? `commands.${n}.body` : `batches.${batch}.commands.${n}.body`),
    ...(recordedAt ? { recordedAt } : {}),
    requestHash: requestHash('demo', commands),
    actor,
    auth: { method: 'bootstrap' },
    correlationId,
    causationId: null,
    submissionAddressedBy: 'body',
  });

/**
 * Loads the demo data into an empty ledger through the ingestion, batch by batch, each at its own
 * recordedAt, then seals the ledger: from then on every write is recorded at the clock.
 */
export async function loadDemo(deps: {
  store: EventStore;
  ingestion: Ingestion;
  logger: Logger;
}): Promise<number> {
  const { store, ingestion, logger } = deps;
  // A new ledger holds at most its owner (access events) before the demo.
  const early = await store.readAll({ limit: 64 });
  if (early.length === 64 || early.some((e) => !ACCESS_EVENT_TYPES.has(e.type))) {
    logger.info('the ledger is not empty; demo data not loaded');
    return 0;
  }
  const demo = DemoFile.parse(JSON.parse(await readFile(DEMO_FILE, 'utf8')));
  const model = createWriteModel(store);
  const first = demo.batches[0]?.recordedAt;
  // The demo's writers are principals like any other, with the grants their writes need, recorded
  // before their first write; the loader writes for them as the ledger itself (auth bootstrap).
  // Each writer gets the roles its writes need (every batch is an import), the loader those of the seal.
  const roles = new Map<string, Set<Role>>([[DEMO_LOADER, new Set<Role>(['ops'])]]);
  for (const batch of demo.batches) {
    const held = roles.get(principalOf(batch.actor)) ?? new Set<Role>(['importer']);
    for (const command of batch.commands)
      for (const need of requirementsOf(command as Command, createWriteState())) held.add(need.role);
    roles.set(principalOf(batch.actor), held);
  }
  const principals = [...roles].flatMap(([id, held]) => [
    { type: 'principal', body: { id, name: id.slice('svc:'.length) } },
    ...[...held].map((role) => ({ type: 'grant', body: { principalId: id, role, reason: 'demo data' } })),
  ]);
  await write(ingestion, principals, DEMO_LOADER, 'demo-principals', first);
  let loaded = 0;
  for (const [i, batch] of demo.batches.entries()) {
    await model.catchUp();
    const commands = batch.commands.map((c) => resolveSubmission(model.state, c));
    const outcome = await write(
      ingestion,
      commands,
      principalOf(batch.actor),
      `demo-batch-${i}`,
      batch.recordedAt,
      i,
    );
    loaded += outcome.results.length;
  }
  await ingestion.seal({
    reason: 'the demo data is loaded',
    actor: DEMO_LOADER,
    auth: { method: 'bootstrap' },
    correlationId: 'demo-seal',
    causationId: null,
  });
  logger.info(
    { events: loaded, batches: demo.batches.length, title: demo.title },
    'demo data loaded; ledger sealed',
  );
  return loaded;
}
