/**
 * The machine's speed at the time of a bench invocation: a fixed CPU job, the same in every run, so
 * that figures taken at different hours can be compared. This VM's speed drifts by 10–25 % within an
 * hour (docs/benchmarks.md), more than the effect of most single changes.
 *
 * The job is the per-event work every reader of the log does: JSON.parse of one submission as the
 * store holds it, then its leaf hash (RFC 8785 canonical JSON, SHA-256). One thread, ~2 s.
 */
import type { RecordedEvent } from '@ledger/domain';
import { eventLeafHash } from '@ledger/transparency-log';
import { round } from './cpu.ts';

const EVENT: RecordedEvent = {
  eventId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  type: 'ledger.value-submitted.v1',
  schemaVersion: 1,
  streamId: 'value:2024-05:xa-phuc-xa:cchc-ty-le-dung-han',
  revision: 0,
  position: 4_242_424,
  recordedAt: '2024-06-03T07:15:42.123Z',
  data: {
    submissionId: '0190a1b2-c3d4-7e5f-8a9b-1c1d2e3f4a5b',
    unitId: 'xa-phuc-xa',
    indicator: 'cchc-ty-le-dung-han',
    period: '2024-05',
    value: 97.25,
    source: 'Hệ thống một cửa',
    reportedAt: '2024-06-02T16:00:00.000Z',
  },
  metadata: { actor: 'ubnd-xa-phuc-xa', correlationId: 'bench-52-17', causationId: null },
};

export interface Calibration {
  /** Parse-and-hash jobs per second, one thread. */
  readonly jobsPerSecond: number;
}

export function calibrate(seconds = 2): Calibration {
  const text = JSON.stringify(EVENT);
  let jobs = 0;
  let sink = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  let now = started;
  while (now < until) {
    for (let i = 0; i < 1_000; i++)
      sink ^= eventLeafHash(JSON.parse(text) as RecordedEvent)[i & 31] as number;
    jobs += 1_000;
    now = performance.now();
  }
  // The sink keeps the work observable, so no engine could drop it.
  if (sink === -1) console.error(sink);
  return { jobsPerSecond: round((jobs * 1000) / (now - started), 0) };
}
