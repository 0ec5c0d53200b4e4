import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { SCORING_CHECKPOINT_RECORDED, SCORING_CHECKPOINT_STREAM } from '@ledger/scoring';
import { startServer } from './http.ts';

export interface StartResult {
  readonly events: number;
  /** From spawning the server to its first answer: it listens once projection and scoring are live. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** The server process's peak RSS (VmHWM: every thread, both heaps). */
  readonly peakRssMiB: number;
}

/**
 * Workload 2″, "start": `pnpm start` on a copy of the data set with no read model, as after an
 * upgrade that changes the read model's layout. The projection rebuilds its read model from the
 * log while scoring folds it (scoring resumes from a checkpoint at the head, as it would have
 * recorded); the server answers once both are live.
 */
export async function allInOneStart(dataset: string): Promise<StartResult> {
  const dataDir = `${dataset}.start`;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'ledger.sqlite');
  copyFileSync(dataset, path);
  const store = getSQLiteEventStore({ path });
  const { position: head, recordedAt } = await store.head();
  await store.append(
    [
      {
        streamId: SCORING_CHECKPOINT_STREAM,
        expectedRevision: 'no_stream',
        events: [
          {
            eventId: '01900000-0000-7000-8000-000000000000',
            type: SCORING_CHECKPOINT_RECORDED,
            schemaVersion: 1,
            data: { position: head },
            metadata: { actor: 'scoring', correlationId: 'bench', causationId: null },
          },
        ],
      },
    ],
    { derivedFrom: recordedAt ?? undefined },
  );
  await store.close();

  const started = performance.now();
  const server = await startServer(dataDir, 18_081, { keep: true, timeoutMs: 60 * 60_000 });
  const seconds = (performance.now() - started) / 1000;
  const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]);
  server.kill('SIGTERM');
  await once(server, 'exit');
  rmSync(dataDir, { recursive: true, force: true });
  const events = head + 1;
  return { events, seconds, eventsPerSecond: events / seconds, peakRssMiB: peakKiB / 1024 };
}
