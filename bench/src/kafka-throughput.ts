/**
 * Workload 4, throughput: N submissions produced as fast as the broker takes them; the time from the
 * first record produced until the projection has applied every event they caused (the submissions
 * ingestion recorded, and the score events scoring appended for them).
 */
import { availableParallelism } from 'node:os';
import { type CpuSnapshot, cpuPercent, round } from './cpu.ts';
import {
  type LoadResult,
  type MainThreads,
  readRun,
  seconds,
  sleep,
  startLoad,
  withPipeline,
} from './kafka-pipeline.ts';

export interface KafkaThroughputResult {
  readonly submissions: number;
  readonly seconds: number;
  readonly submissionsPerSecond: number;
  /** Ledger events (submissions, idempotency records, scores, scoring checkpoints) through the projection. */
  readonly eventsPerSecond: number;
  readonly events: number;
  readonly eventsByType: Record<string, number>;
  /** Seconds from the first record produced until each stage had done its part, and its rate. */
  readonly stages: Record<string, { seconds: number; perSecond: number }>;
  /**
   * Each stage's own pace: its rate from 10 % to 90 % of its work, polled every ~50 ms. Stages run
   * at once, so the slowest one's pace is the pipeline's.
   */
  readonly steadyRates: Record<string, number>;
  /**
   * The most events that waited in front of each follower of the log at one poll: work queues up
   * in front of the slowest stage.
   */
  readonly maxBacklog: Record<string, number>;
  /**
   * % of one core per process between the first record and the end; `machine` is every process
   * on the machine together (2 cores: 200 % at most).
   */
  readonly cpuPercent: Record<string, number>;
  /** CPU time per submission of each process: what the pipeline costs, whatever else the machine runs. */
  readonly cpuMsPerSubmission: Record<string, number>;
  /** The rate at which the pipeline (services, broker, load) would keep every core of this machine busy. */
  readonly cpuCeilingSubmissionsPerSecond: number;
  readonly mainThreads: MainThreads;
}

export async function kafkaThroughput(
  submissions: number,
  timeoutMs = 600_000,
): Promise<KafkaThroughputResult> {
  return withPipeline('throughput', async (p) => {
    const threads = p.sampleMainThreads();
    const load = startLoad(p, ['burst', String(submissions)]);
    const snapshots: CpuSnapshot[] = [p.cpu()];
    const progress: Progress[] = [];
    const deadline = Date.now() + timeoutMs;
    let ingestedAt = 0;
    let scoredAt = 0;
    let projectedAt = 0;
    let ingestedHead = 0;
    let scoredHead = 0;
    let loaded: LoadResult | undefined;
    load.done.then(
      (r) => {
        loaded = r;
      },
      () => undefined,
    );
    // Each stage is done when the one before it is and it has caught up with what that one left.
    while (!projectedAt) {
      await sleep(50);
      snapshots.push(p.cpu());
      const committed = await p.committed();
      const [ingestion, scoring, projection] = await Promise.all([
        p.ops('ingestion'),
        p.ops('scoring'),
        p.ops('projection'),
      ]);
      const at = Date.now();
      progress.push({
        at,
        committed,
        head: ingestion.head,
        relay: ingestion.checkpoint,
        scoring: scoring.checkpoint,
        projection: projection.checkpoint,
      });
      if (at > deadline)
        throw new Error(
          `not done after ${timeoutMs} ms: ${JSON.stringify(progress.at(-1))} (${submissions} submissions)`,
        );
      if (!ingestedAt && committed >= submissions) {
        ingestedAt = at;
        ingestedHead = (await p.ops('scoring')).head;
        continue;
      }
      if (ingestedAt && !scoredAt && scoring.checkpoint >= ingestedHead) {
        scoredAt = at;
        // Read in the same request as the checkpoint: it holds the scores of every input up to it.
        scoredHead = scoring.head;
      }
      if (scoredAt && projection.checkpoint >= scoredHead) projectedAt = at;
    }
    const mainThreads = threads.stop();
    const result = loaded ?? (await load.done);
    const start = Math.min(...result.batches.map((b) => b[2]));
    const producedAt = Math.max(...result.batches.map((b) => b[3]));
    const run = await readRun(p, result.produced);
    const accepted = run.position.filter((x) => !Number.isNaN(x)).length;
    if (accepted !== submissions)
      throw new Error(
        `only ${accepted} of ${submissions} submissions were recorded: ${JSON.stringify(run.byType)}`,
      );
    const events = scoredHead - p.referenceHead;
    if (run.events !== events)
      console.error(
        `kafka-throughput: ${run.events - events} event(s) appended after the projection caught up`,
      );
    const from = snapshots.findLast((s) => s.at <= start) ?? (snapshots[0] as CpuSnapshot);
    const to = snapshots.at(-1) as CpuSnapshot;
    const stage = (at: number, work: number) => ({
      seconds: seconds(at - start),
      perSecond: Math.round((1000 * work) / (at - start)),
    });
    /** A stage's rate while it went from 10 % to 90 % of its work: its pace while it had work queued. */
    const steady = (key: Exclude<keyof Progress, 'at'>, from: number, work: number) => {
      const crossed = (x: number) => progress.find((s) => s[key] >= from + x * work)?.at ?? Number.NaN;
      return Math.round((0.8 * work * 1000) / (crossed(0.9) - crossed(0.1)));
    };
    return {
      submissions,
      seconds: seconds(projectedAt - start),
      submissionsPerSecond: Math.round((1000 * submissions) / (projectedAt - start)),
      eventsPerSecond: Math.round((1000 * events) / (projectedAt - start)),
      events,
      eventsByType: run.byType,
      stages: {
        'produced (records)': stage(producedAt, submissions),
        'ingested (submissions)': stage(ingestedAt, submissions),
        'scored (submissions)': stage(scoredAt, submissions),
        'projected (events)': stage(projectedAt, events),
      },
      steadyRates: {
        'ingestion (submissions/s)': steady('committed', 0, submissions),
        'relay (events/s)': steady('relay', p.referenceHead, events),
        'scoring (events/s)': steady('scoring', p.referenceHead, events),
        'projection (events/s)': steady('projection', p.referenceHead, events),
      },
      maxBacklog: {
        'relay (recorded, not published)': Math.max(...progress.map((x) => x.head - x.relay)),
        'scoring (published, not scored)': Math.max(...progress.map((x) => x.relay - x.scoring)),
        'projection (published, not applied)': Math.max(...progress.map((x) => x.relay - x.projection)),
      },
      cpuPercent: {
        ...cpuPercent(from, to),
        load: round((100 * result.cpuSeconds) / ((to.at - from.at) / 1000)),
      },
      cpuMsPerSubmission: {
        ...Object.fromEntries(
          Object.entries(to.seconds)
            .filter(([name]) => name !== 'machine' && from.seconds[name] !== undefined)
            .map(([name, t]) => [
              name,
              round((1000 * (t - (from.seconds[name] as number))) / submissions, 3),
            ]),
        ),
        load: round((1000 * result.cpuSeconds) / submissions, 3),
      },
      cpuCeilingSubmissionsPerSecond: Math.round(
        (availableParallelism() * 1000 * submissions) /
          (1000 * result.cpuSeconds +
            Object.entries(to.seconds)
              .filter(([name]) => name !== 'machine' && name !== 'bench' && from.seconds[name] !== undefined)
              .reduce((sum, [name, t]) => sum + 1000 * (t - (from.seconds[name] as number)), 0)),
      ),
      mainThreads,
    };
  });
}

/** Where each stage stood at an instant of a throughput run. */
interface Progress {
  readonly at: number;
  /** Command records ingestion has handled. */
  readonly committed: number;
  readonly head: number;
  /** The log positions the relay has published, scoring has scored, the projection has applied. */
  readonly relay: number;
  readonly scoring: number;
  readonly projection: number;
}
