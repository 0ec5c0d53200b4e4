import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bookkeepingStreams, SCORING_CHECKPOINT_RECORDED } from '@ledger/domain';
import { getSQLiteEventStore } from '@ledger/event-store-sqlite';
import { startServer } from './http.ts';

export interface StartResult {
  readonly events: number;
  /** From spawning the server to its first answer: it listens once projection and scoring are live. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** The server process's peak RSS (VmHWM: every thread, both heaps). */
  readonly peakRssMiB: number;
  /** The same, for a second start on what the first left: an ordinary restart, the read model kept. */
  readonly restartSeconds: number;
  readonly restartPeakRssMiB: number;
}

/**
 * Workload 2″, "start": `pnpm start` on a copy of the data set with no read model, as after an
 * upgrade that changes the read model's layout. The projection rebuilds its read model from the
 * log while scoring folds it (scoring resumes from a checkpoint at the head, as it would have
 * recorded); the server answers once both are live. Then it starts again on what that start left,
 * as an ordinary restart does: the projection loads its read model, scoring and ingestion's write
 * model fold the log.
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
        streamId: bookkeepingStreams.scoringCheckpoint,
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

  const first = await timedStart(dataDir);
  const restart = await timedStart(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  const events = head + 1;
  return {
    events,
    ...first,
    eventsPerSecond: events / first.seconds,
    restartSeconds: restart.seconds,
    restartPeakRssMiB: restart.peakRssMiB,
  };
}

/** Starts the all-in-one on `dataDir`, waits for its first answer, stops it: how long, and its peak RSS. */
async function timedStart(dataDir: string): Promise<{ seconds: number; peakRssMiB: number }> {
  const started = performance.now();
  const server = await startServer(dataDir, 18_081, { keep: true, timeoutMs: 60 * 60_000 });
  const seconds = (performance.now() - started) / 1000;
  const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]);
  server.kill('SIGTERM');
  await once(server, 'exit');
  return { seconds, peakRssMiB: peakKiB / 1024 };
}
