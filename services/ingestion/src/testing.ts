/** Writes for tests of what follows ingestion (projection, scoring): a small ledger, as an integrator sends it. */

import { requestHash } from './idempotency.ts';
import type { WriteRequest } from './ingest.ts';

/** One write through ingestion, as a test integrator would send it. */
export const write = (commands: { type: string; body: object }[], recordedAt?: string): WriteRequest => ({
  commands,
  pathOf: (i) => `commands.${i}.body`,
  requestHash: requestHash('test', commands),
  actor: 'svc:test',
  auth: { method: 'none' },
  correlationId: 'c',
  causationId: null,
  submissionAddressedBy: 'body',
  ...(recordedAt ? { recordedAt } : {}),
});

/** A province, one district, one indicator and a methodology that scores it. */
export const REFERENCE = [
  { type: 'unit', body: { id: '77', validFrom: '2000-01-01', name: 'Bà Rịa-Vũng Tàu', level: 'province' } },
  {
    type: 'unit',
    body: { id: '747', validFrom: '2000-01-01', name: 'TP. Vũng Tàu', level: 'district', parentId: '77' },
  },
  {
    type: 'indicator',
    body: { code: 'on-time', name: 'Hồ sơ đúng hạn', measure: 'percent', direction: 'higher-is-better' },
  },
  {
    type: 'methodology',
    body: {
      id: 'cchc',
      name: 'Chỉ số CCHC',
      level: 'district',
      indicators: [{ indicator: 'on-time', maxPoints: 60, rule: { kind: 'attainment', threshold: 95 } }],
    },
  },
];

export const submission = (v: number, period = '2023') => ({
  type: 'submission',
  body: { unitId: '747', indicator: 'on-time', period, value: v },
});

/** A province and two of its districts, and the indicator they report: for tests of who may write where. */
export const TWO_DISTRICTS = [
  { type: 'unit', body: { id: '77', validFrom: '2000-01-01', name: 'Bà Rịa-Vũng Tàu', level: 'province' } },
  ...['747', '748'].map((id) => ({
    type: 'unit',
    body: { id, validFrom: '2000-01-01', name: `Huyện ${id}`, level: 'district', parentId: '77' },
  })),
  {
    type: 'indicator',
    body: { code: 'on-time', name: 'Hồ sơ đúng hạn', measure: 'percent', direction: 'higher-is-better' },
  },
];

/** A principal with an integrator grant for one unit. */
export const integrator = (id: string, unitId: string) => [
  { type: 'principal', body: { id, name: `Integrator ${id}` } },
  { type: 'grant', body: { principalId: id, role: 'integrator', unitId } },
];
