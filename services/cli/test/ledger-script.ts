import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bookkeepingStreams, CHECKPOINT_SIGNED, type RecordedEvent } from '@ledger/domain';
import type { EventStore } from '@ledger/event-store';
import { createMerkleTree, eventLeafHash, signCheckpoint, toBase64 } from '@ledger/transparency-log';

/**
 * A small ledger for the CLI's tests, as batches for `ledger import`: a province and three
 * districts, two indicators, a methodology and a target; 2023's submissions; and a correction that
 * moves TX. Phú Mỹ from third to first. `tag` suffixes every id, for a ledger on a server that may
 * hold another run's; the batches carry a recordedAt (history on an open ledger) unless `atTheClock`.
 */
export function ledgerScript(tag = '', atTheClock = false) {
  const at = (recordedAt: string) => (atTheClock ? {} : { recordedAt });
  const district = (id: string, name: string) => ({
    type: 'unit',
    body: { id: `${id}${tag}`, validFrom: '2000-01-01', name, level: 'district', parentId: `77${tag}` },
  });
  const submission = (unitId: string, indicator: string, value: number) => ({
    type: 'submission',
    body: { unitId: `${unitId}${tag}`, indicator: `${indicator}${tag}`, period: '2023', value },
  });
  return {
    methodologyId: `cchc${tag}`,
    reference: {
      ...at('2024-01-05T09:00:00+07:00'),
      commands: [
        {
          type: 'unit',
          body: { id: `77${tag}`, validFrom: '2000-01-01', name: 'Bà Rịa-Vũng Tàu', level: 'province' },
        },
        district('747', 'TP. Vũng Tàu'),
        district('748', 'TP. Bà Rịa'),
        district('754', 'TX. Phú Mỹ'),
        {
          type: 'indicator',
          body: {
            code: `on-time${tag}`,
            name: 'Hồ sơ đúng hạn',
            measure: 'percent',
            direction: 'higher-is-better',
          },
        },
        {
          type: 'indicator',
          body: {
            code: `satisfaction${tag}`,
            name: 'Mức độ hài lòng',
            measure: 'percent',
            direction: 'higher-is-better',
          },
        },
        {
          type: 'methodology',
          body: {
            id: `cchc${tag}`,
            name: 'Chỉ số CCHC cấp huyện',
            level: 'district',
            indicators: [
              { indicator: `on-time${tag}`, group: 'Tiến độ', maxPoints: 60, rule: { kind: 'attainment' } },
              {
                indicator: `satisfaction${tag}`,
                group: 'Hài lòng',
                maxPoints: 40,
                rule: { kind: 'attainment', threshold: 90 },
              },
            ],
          },
        },
        {
          type: 'target',
          body: { indicator: `on-time${tag}`, period: '2023', value: 98, authority: 'HĐND tỉnh' },
        },
      ],
    },
    submissions: {
      ...at('2024-01-10T09:00:00+07:00'),
      commands: [
        submission('747', 'on-time', 95),
        submission('747', 'satisfaction', 92),
        submission('748', 'on-time', 90),
        submission('748', 'satisfaction', 88),
        submission('754', 'on-time', 97),
        submission('754', 'satisfaction', 70),
      ],
    },
    /** The submission the correction corrects: TX. Phú Mỹ's satisfaction, the last of `submissions`. */
    corrected: 5,
    correction: (submissionId: string) => ({
      ...at('2024-01-22T08:30:00+07:00'),
      commands: [{ type: 'correction', body: { submissionId, value: 95, reason: 'nhập nhầm' } }],
    }),
  };
}

/** Writes a batch where `ledger import` reads it. */
export async function batchFile(dir: string, name: string, batch: unknown): Promise<string> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(batch));
  return file;
}

export const ORIGIN = 'indicator-ledger.example/log';

/**
 * Records a checkpoint of the whole log, signed with `signerKey`, as the projection's checkpointer
 * records one (services/projection/src/transparency.ts): on `tlog:checkpoints`, its note in the data.
 */
export async function recordCheckpoint(store: EventStore, signerKey: string): Promise<string> {
  const log: RecordedEvent[] = await store.readAll();
  const tree = createMerkleTree(log.map((e) => eventLeafHash(e)));
  const root = tree.root(tree.size);
  const note = signCheckpoint({ origin: ORIGIN, size: tree.size, root }, signerKey);
  await store.append([
    {
      streamId: bookkeepingStreams.logCheckpoints,
      expectedRevision: 'any',
      events: [
        {
          eventId: randomUUID(),
          type: CHECKPOINT_SIGNED,
          schemaVersion: 1,
          data: { origin: ORIGIN, size: tree.size, root: toBase64(root), note },
          metadata: { actor: 'checkpointer', correlationId: `checkpoint:${tree.size}`, causationId: null },
        },
      ],
    },
  ]);
  return note;
}
