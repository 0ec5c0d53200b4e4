/**
 * Workload 4, freshness: submissions produced at a steady rate; for each one, accepted (its event's
 * recordedAt in the store) → visible (the projection's checkpoint has passed its position, seen by
 * polling the projection's ops endpoint), and produced → visible.
 */
import { streams } from '@ledger/domain';
import { cpuPercent, round } from './cpu.ts';
import { type MainThreads, ops, readRun, seconds, sleep, startLoad, withPipeline } from './kafka-pipeline.ts';
import { METHODOLOGY_ID } from './scale-model.ts';
import { quantile } from './stats.ts';
import { submissionAt } from './submissions.ts';

interface Percentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles in ms; a submission never seen counts as Infinity (JSON: null). */
const percentiles = (values: readonly number[]): Percentiles => ({
  p50Ms: round(quantile(values, 0.5)),
  p99Ms: round(quantile(values, 0.99)),
  maxMs: round(quantile(values, 1)),
});

/** One poll of the projection's ops endpoint: sent, answered, its checkpoint and the head. */
type Poll = [sentAt: number, receivedAt: number, checkpoint: number, head: number];

export interface SampleCheck {
  readonly n: number;
  readonly unitId: string;
  readonly indicator: string;
  readonly period: string;
  readonly value: number;
  readonly position?: number;
  /** ms from the poll that saw the checkpoint pass the position until the scorecard answered. */
  readonly scorecardMs?: number;
  readonly status?: number;
  /** The scorecard (as of now) showed the value, and the unit ranked. */
  readonly live: boolean;
  /** The scorecard at the checkpoint first seen past the position (`atPosition`), after the run. */
  readonly atCheckpoint?: boolean;
  readonly checkpointSeen?: number;
  readonly rank?: string;
}

export interface KafkaFreshnessResult {
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly produced: number;
  readonly producedPerSecond: number;
  readonly accepted: number;
  readonly visible: number;
  readonly acceptedToVisible: Percentiles;
  readonly producedToVisible: Percentiles;
  readonly producedToAccepted: Percentiles;
  /**
   * How late "visible" may be: the time between the last poll that did not yet show a submission
   * (sent) and the first that did (answered). Visible is that answer's time, an upper bound.
   */
  readonly pollResolution: { readonly targetMs: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly polls: number;
  readonly drainSeconds: number;
  readonly samples: readonly SampleCheck[];
  /** While the load ran. */
  readonly cpuPercent: Record<string, number>;
  readonly mainThreads: MainThreads;
}

export async function kafkaFreshness(
  rate: number,
  durationSeconds: number,
  pollMs = 10,
  drainMs = 30_000,
  sampleCount = 5,
): Promise<KafkaFreshnessResult> {
  return withPipeline('freshness', async (p) => {
    const projectionUrl = p.stack.url('projection');
    const polls: Poll[] = [];
    let polling = true;
    // One poll at a time, one every pollMs at most: a slow answer (the projection busy applying a
    // batch) delays the next poll, as it would delay any reader.
    const poller = (async () => {
      while (polling) {
        const sentAt = Date.now();
        const { head, checkpoint } = await ops(p.stack, 'projection');
        const receivedAt = Date.now();
        polls.push([sentAt, receivedAt, checkpoint, head]);
        await sleep(Math.max(0, pollMs - (receivedAt - sentAt)));
      }
    })();
    const lastCheckpoint = () => polls.at(-1)?.[2] ?? 0;

    const total = Math.round(rate * durationSeconds);
    const spawnedAt = Date.now();
    const threads = p.sampleMainThreads();
    const load = startLoad(p, ['rate', String(rate), String(durationSeconds)]);
    const cpuFrom = p.cpu();

    // A few submissions followed live: found in the store, then, as soon as a poll shows the
    // projection past them, read back in the scorecard (which also ranks the unit).
    const checkSample = async (n: number): Promise<SampleCheck> => {
      const s = submissionAt(n);
      const base = { n, ...s, live: false };
      await sleep(Math.max(0, spawnedAt + (1000 * n) / rate - Date.now()));
      const deadline = Date.now() + durationSeconds * 1000 + drainMs;
      const stream = streams.value(s.unitId, s.indicator, s.period);
      let position: number | undefined;
      while (position === undefined) {
        position = (await p.store.readStream(stream))[0]?.position;
        if (position !== undefined) break;
        if (Date.now() > deadline) return base;
        await sleep(20);
      }
      while (lastCheckpoint() < position) {
        if (Date.now() > deadline) return { ...base, position };
        await sleep(5);
      }
      const seenAt = (polls.at(-1) as Poll)[1];
      const checkpointSeen = lastCheckpoint();
      const res = await fetch(
        `${projectionUrl}/v1/units/${s.unitId}/scorecard/${METHODOLOGY_ID}/${s.period}`,
      );
      const body = (await res.json()) as ScorecardBody;
      return {
        ...base,
        position,
        checkpointSeen,
        status: res.status,
        scorecardMs: Date.now() - seenAt,
        live: showsValue(body, s.indicator, s.value, position),
        ...(res.ok ? { rank: `${body.rank} of ${body.of}` } : {}),
      };
    };
    const sampling = Promise.all(
      // Spread over the run, off the multiples of 500 so that their values differ.
      Array.from({ length: sampleCount }, (_, k) =>
        checkSample(Math.min(total - 1, Math.floor(((k + 0.5) / sampleCount) * total) + 37 * k + 1)),
      ),
    );

    const result = await load.done;
    const cpuTo = p.cpu();
    const mainThreads = threads.stop();
    const loadEnd = Date.now();

    // Drain: ingestion has handled every record, and the projection has passed the head after that.
    let drained = false;
    let ingestedAt = 0;
    let drainedAt = loadEnd + drainMs;
    while (Date.now() - loadEnd < drainMs) {
      if (!ingestedAt && (await p.committed()) >= result.produced) ingestedAt = Date.now();
      if (ingestedAt) {
        const after = polls.find((poll) => poll[0] > ingestedAt);
        if (after && lastCheckpoint() >= after[3]) {
          drained = true;
          drainedAt = Date.now();
          break;
        }
      }
      await sleep(50);
    }
    polling = false;
    await poller;
    const samples = await sampling;

    const run = await readRun(p, result.produced);
    const sentAt = new Float64Array(result.produced);
    for (const [first, count, sent] of result.batches) sentAt.fill(sent, first, first + count);
    /** The first poll that saw the projection at or past a position. */
    const firstPollAt = (position: number) => {
      let lo = 0;
      let hi = polls.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((polls[mid] as Poll)[2] >= position) hi = mid;
        else lo = mid + 1;
      }
      return lo < polls.length ? lo : -1;
    };
    const acceptedToVisible: number[] = [];
    const producedToVisible: number[] = [];
    const producedToAccepted: number[] = [];
    const resolution: number[] = [];
    let accepted = 0;
    let visible = 0;
    for (let n = 0; n < result.produced; n++) {
      const position = run.position[n] as number;
      if (Number.isNaN(position)) {
        producedToAccepted.push(Number.POSITIVE_INFINITY);
        producedToVisible.push(Number.POSITIVE_INFINITY);
        continue;
      }
      accepted++;
      const recordedAt = run.recordedAtMs[n] as number;
      producedToAccepted.push(recordedAt - (sentAt[n] as number));
      const i = firstPollAt(position);
      if (i < 0) {
        acceptedToVisible.push(Number.POSITIVE_INFINITY);
        producedToVisible.push(Number.POSITIVE_INFINITY);
        continue;
      }
      visible++;
      const poll = polls[i] as Poll;
      acceptedToVisible.push(poll[1] - recordedAt);
      producedToVisible.push(poll[1] - (sentAt[n] as number));
      resolution.push(poll[1] - (polls[i - 1] ?? poll)[0]);
    }

    // After the run, with the projection idle: the scorecard at the checkpoint first seen past each sample.
    const checked = await Promise.all(
      samples.map(async (sample) => {
        if (sample.position === undefined) return sample;
        const i = firstPollAt(sample.position);
        if (i < 0) return sample;
        const at = (polls[i] as Poll)[2];
        const res = await fetch(
          `${projectionUrl}/v1/units/${sample.unitId}/scorecard/${METHODOLOGY_ID}/${sample.period}?atPosition=${at}`,
        );
        const body = (await res.json()) as ScorecardBody;
        return { ...sample, atCheckpoint: showsValue(body, sample.indicator, sample.value, sample.position) };
      }),
    );
    if (!drained)
      console.error(
        `kafka-freshness: not drained ${drainMs} ms after the load ended: ${accepted} of ${result.produced} accepted, ${visible} visible`,
      );

    const start = Math.min(...result.batches.map((b) => b[2]));
    const end = Math.max(...result.batches.map((b) => b[2]));
    return {
      ratePerSecond: rate,
      seconds: durationSeconds,
      produced: result.produced,
      producedPerSecond: Math.round((1000 * result.produced) / Math.max(1, end - start)),
      accepted,
      visible,
      acceptedToVisible: percentiles(acceptedToVisible),
      producedToVisible: percentiles(producedToVisible),
      producedToAccepted: percentiles(producedToAccepted),
      pollResolution: {
        targetMs: pollMs,
        p50Ms: round(quantile(resolution, 0.5)),
        p99Ms: round(quantile(resolution, 0.99)),
      },
      polls: polls.length,
      drainSeconds: seconds(drainedAt - loadEnd),
      samples: checked,
      cpuPercent: {
        ...cpuPercent(cpuFrom, cpuTo),
        load: round((100 * result.cpuSeconds) / ((cpuTo.at - cpuFrom.at) / 1000)),
      },
      mainThreads,
    };
  });
}

interface ScorecardBody {
  readonly position?: number;
  readonly rank?: number;
  readonly of?: number;
  readonly indicators?: { indicator: string; value: number | null }[];
}

/** The scorecard holds the submitted value, at a view that includes its event. */
const showsValue = (body: ScorecardBody, indicator: string, value: number, position: number) =>
  (body.position ?? 0) >= position &&
  typeof body.rank === 'number' &&
  body.indicators?.find((line) => line.indicator === indicator)?.value === value;
