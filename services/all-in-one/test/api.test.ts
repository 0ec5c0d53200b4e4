import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from './seed.ts';
import { logOf, startTestLedger, type TestLedger } from './support.ts';

async function seed(ledger: TestLedger) {
  expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
}

describe('HTTP API of the all-in-one ledger', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
    await seed(ledger);
  });
  afterAll(() => ledger.dispose());

  it('records a submission and answers 201 with what it recorded', async () => {
    const reply = await ledger.post('/v1/submissions', {
      unitId: '747',
      indicator: 'on-time',
      period: '2023',
      value: 97,
      source: 'Cổng dịch vụ công',
      recordedAt: '2024-01-10T09:00:00+07:00',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      type: 'ledger.value-submitted.v1',
      recordedAt: '2024-01-10T02:00:00.000Z',
      streamId: 'value:2023:747:on-time',
      revision: 0,
    });
    expect(reply.body.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(reply.body.submissionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.body.position).toBeGreaterThan(8);
  });

  it('ranks as of two dates around a correction, and the earlier answer never changes', async () => {
    const b = await ledger.post('/v1/batch', {
      recordedAt: '2024-01-12T09:00:00+07:00',
      commands: [
        { type: 'submission', body: { unitId: '748', indicator: 'on-time', period: '2023', value: 99 } },
        { type: 'submission', body: { unitId: '754', indicator: 'on-time', period: '2023', value: 98.5 } },
        { type: 'submission', body: { unitId: '747', indicator: 'satisfaction', period: '2023', value: 90 } },
        {
          type: 'submission',
          body: { unitId: '748', indicator: 'satisfaction', period: '2023', value: 85.5 },
        },
        { type: 'submission', body: { unitId: '754', indicator: 'satisfaction', period: '2023', value: 91 } },
      ],
    });
    expect(b.status).toBe(201);
    // The batch's scores are recorded at its instant, after it: read once they are.
    await ledger.settled();
    const before = await ledger.get('/v1/rankings/cchc/2023?asOf=2024-01-15');
    expect(before.status).toBe(200);
    expect(before.body.rows.map((r: { unitId: string }) => r.unitId)).toEqual(['754', '747', '748']);

    const bariaSatisfaction = b.body.results[3].submissionId;
    const correction = await ledger.post(`/v1/submissions/${bariaSatisfaction}/corrections`, {
      value: 92,
      reason: 'Số liệu khảo sát bị nhập nhầm',
      recordedAt: '2024-01-22T10:00:00+07:00',
    });
    expect(correction.status).toBe(201);

    const after = await ledger.get('/v1/rankings/cchc/2023?asOf=2024-01-31');
    expect(after.body.rows.map((r: { unitId: string }) => r.unitId)).toEqual(['748', '754', '747']);
    expect(after.body.rows[0]).toMatchObject({
      rank: 1,
      unitName: 'TP. Bà Rịa',
      total: 100,
      indicatorsMet: 2,
    });
    expect(after.body.methodologyVersion).toBe(1);
    // the as-of-Jan-15 ranking is what it was, byte for byte
    const again = await ledger.get('/v1/rankings/cchc/2023?asOf=2024-01-15');
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(before.body));
  });

  it('shows the events behind a score on the scorecard', async () => {
    const card = await ledger.get('/v1/units/748/scorecard/cchc/2023?asOf=2024-01-31');
    expect(card.status).toBe(200);
    const satisfaction = card.body.indicators.find(
      (i: { indicator: string }) => i.indicator === 'satisfaction',
    );
    expect(satisfaction).toMatchObject({ value: 92, benchmark: 90, met: true, points: 40 });
    expect(satisfaction.corrections).toHaveLength(1);
    expect(satisfaction.corrections[0]).toMatchObject({ value: 92, reason: 'Số liệu khảo sát bị nhập nhầm' });
    const onTime = card.body.indicators.find((i: { indicator: string }) => i.indicator === 'on-time');
    expect(onTime.target).toMatchObject({ value: 98, authority: 'HĐND tỉnh' });
    expect(onTime.submission.event.type).toBe('ledger.value-submitted.v1');
  });

  it('gives the history of one value in log order with recordedAt and actor', async () => {
    const reply = await ledger.get('/v1/history?unitId=748&indicator=satisfaction&period=2023');
    expect(reply.status).toBe(200);
    expect(reply.body.events.map((e: { type: string }) => e.type)).toEqual([
      'ledger.value-submitted.v1',
      'ledger.value-corrected.v1',
    ]);
    expect(reply.body.events[1]).toMatchObject({
      recordedAt: '2024-01-22T03:00:00.000Z',
      metadata: { actor: 'svc:owner', auth: { method: 'api-key' } },
    });
  });

  it('refuses invalid input with problem+json naming the fields, and writes nothing', async () => {
    const before = await logOf(ledger);
    const reply = await ledger.post('/v1/submissions', {
      unitId: '747',
      indicator: 'on-time',
      period: '2023-13',
      value: 'x',
    });
    expect(reply.status).toBe(400);
    expect(reply.contentType).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ status: 400, title: 'Invalid request' });
    expect(reply.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['period', 'value']);
    expect(await logOf(ledger)).toEqual(before);
  });

  it('refuses malformed JSON with 400', async () => {
    const reply = await ledger.post('/v1/targets', '{"indicator": ');
    expect(reply.status).toBe(400);
    expect(reply.contentType).toContain('application/problem+json');
  });

  it('answers 422 for an unknown unit and 404 for an unknown submission in the URL', async () => {
    const unknownUnit = await ledger.post('/v1/submissions', {
      unitId: '999',
      indicator: 'on-time',
      period: '2023',
      value: 1,
    });
    expect(unknownUnit.status).toBe(422);
    expect(unknownUnit.body.errors).toEqual([{ path: 'unitId', message: 'unknown unit: 999' }]);
    const unknownSubmission = await ledger.post(
      '/v1/submissions/0190a0b4-0000-7000-8000-000000000000/corrections',
      {
        value: 1,
        reason: 'x',
      },
    );
    expect(unknownSubmission.status).toBe(404);
    expect((await ledger.get('/v1/rankings/nope/2023')).status).toBe(404);
  });

  it('answers 409 for a duplicate unit, a second submission of a value, and time going backwards', async () => {
    const before = await logOf(ledger);
    expect((await ledger.post('/v1/units', { id: '747', name: 'X', level: 'district' })).status).toBe(409);
    const second = await ledger.post('/v1/submissions', {
      unitId: '747',
      indicator: 'on-time',
      period: '2023',
      value: 90,
    });
    expect(second.status).toBe(409);
    expect(second.body.detail).toMatch(/correct or retract/);
    const backwards = await ledger.post('/v1/targets', {
      indicator: 'on-time',
      period: '2024',
      value: 98,
      authority: 'HĐND tỉnh',
      recordedAt: '2023-06-01T00:00:00Z',
    });
    expect(backwards.status).toBe(409);
    expect(backwards.body.errors[0].path).toBe('recordedAt');
    expect(await logOf(ledger)).toEqual(before);
  });

  it('refuses a stale expected revision with 409', async () => {
    const card = await ledger.get('/v1/units/754/scorecard/cchc/2023');
    const id = card.body.indicators[0].submission.submissionId;
    const stale = await ledger.post(`/v1/submissions/${id}/corrections`, {
      value: 97,
      reason: 'x',
      expectedRevision: 5,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0].path).toBe('expectedRevision');
  });

  it('records a batch all or nothing, with errors under the failing command', async () => {
    const before = await logOf(ledger);
    const reply = await ledger.post('/v1/batch', {
      commands: [
        {
          type: 'target',
          body: { indicator: 'satisfaction', period: '2024', value: 88, authority: 'HĐND tỉnh' },
        },
        { type: 'submission', body: { unitId: '747', indicator: 'nope', period: '2024', value: 1 } },
      ],
    });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toEqual([
      { path: 'commands.1.body.indicator', message: 'unknown indicator: nope' },
    ]);
    expect(await logOf(ledger)).toEqual(before);
  });

  it('answers a retried write with an Idempotency-Key with the first result, once', async () => {
    const body = { indicator: 'satisfaction', period: '2024', value: 88, authority: 'HĐND tỉnh' };
    const headers = { 'idempotency-key': 'target-sat-2024' };
    const first = await ledger.post('/v1/targets', body, headers);
    const before = await logOf(ledger);
    const retry = await ledger.post('/v1/targets', body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await logOf(ledger)).toEqual(before);
    const reused = await ledger.post('/v1/targets', { ...body, value: 90 }, headers);
    expect(reused.status).toBe(422);
  });

  it('retracts a submission, then accepts a new one for the same value', async () => {
    const first = await ledger.post('/v1/submissions', {
      unitId: '747',
      indicator: 'on-time',
      period: '2022',
      value: 91,
    });
    const retraction = await ledger.post(`/v1/submissions/${first.body.submissionId}/retractions`, {
      reason: 'Nộp nhầm kỳ báo cáo',
    });
    expect(retraction.status).toBe(201);
    expect(retraction.body.type).toBe('ledger.submission-retracted.v1');
    const again = await ledger.post(`/v1/submissions/${first.body.submissionId}/retractions`, {
      reason: 'x',
    });
    expect(again.status).toBe(409);
    const second = await ledger.post('/v1/submissions', {
      unitId: '747',
      indicator: 'on-time',
      period: '2022',
      value: 92,
    });
    expect(second.status).toBe(201);
    expect(second.body.revision).toBe(2);
  });

  it('abolishes a unit by revision: later rankings leave it out, earlier periods keep it', async () => {
    const unit = await ledger.post('/v1/units', {
      id: '753',
      name: 'H. Đất Đỏ',
      level: 'district',
      parentId: '77',
      validFrom: '1994-06-02',
    });
    expect(unit.status).toBe(201);
    const stale = await ledger.post('/v1/units/753/revisions', {
      validTo: '2024-12-31',
      expectedRevision: 3,
    });
    expect(stale.status).toBe(409);
    const revision = await ledger.post('/v1/units/753/revisions', {
      validTo: '2024-12-31',
      expectedRevision: 0,
    });
    expect(revision.status).toBe(201);
    const ids = async (period: string) =>
      (await ledger.get(`/v1/rankings/cchc/${period}`)).body.rows.map((r: { unitId: string }) => r.unitId);
    expect(await ids('2023')).toContain('753');
    expect(await ids('2025')).not.toContain('753');
    expect((await ledger.get('/v1/units/753')).body).toMatchObject({ validTo: '2024-12-31' });
    expect((await ledger.post('/v1/units/999/revisions', { validTo: '2024-12-31' })).status).toBe(404);
  });

  it('publishes a new methodology version; the earlier version still answers as of before it', async () => {
    const v2 = await ledger.post('/v1/methodologies', {
      id: 'cchc',
      name: 'Chỉ số CCHC cấp huyện (sửa đổi)',
      level: 'district',
      indicators: [{ indicator: 'on-time', group: 'Tiến độ', maxPoints: 100, rule: { kind: 'attainment' } }],
    });
    expect(v2.status).toBe(201);
    expect((await ledger.get('/v1/methodologies/cchc')).body.version).toBe(2);
    expect((await ledger.get('/v1/rankings/cchc/2023')).body.methodologyVersion).toBe(2);
    expect((await ledger.get('/v1/rankings/cchc/2023?asOf=2024-01-31')).body.methodologyVersion).toBe(1);
    const unknown = await ledger.post('/v1/methodologies', {
      id: 'x',
      name: 'X',
      level: 'district',
      indicators: [{ indicator: 'nope', maxPoints: 1, rule: { kind: 'met' } }],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].path).toBe('indicators.0.indicator');
  });

  it('keeps Vietnamese names and lists units in Vietnamese order (Đ after D, not after Z)', async () => {
    const xm = await ledger.post('/v1/units', {
      id: '751',
      name: 'H. Xuyên Mộc',
      level: 'district',
      parentId: '77',
    });
    expect(xm.status).toBe(201);
    const reply = await ledger.get('/v1/units');
    expect(reply.body.units.map((u: { name: string }) => u.name)).toEqual([
      'Bà Rịa-Vũng Tàu',
      'H. Đất Đỏ',
      'H. Xuyên Mộc',
      'TP. Bà Rịa',
      'TP. Vũng Tàu',
      'TX. Phú Mỹ',
    ]);
  });

  it('pages through the raw log in global order', async () => {
    const page = await ledger.get('/v1/events?after=2&limit=3');
    expect(page.body.events.map((e: { position: number }) => e.position)).toEqual([3, 4, 5]);
    expect(page.body.next).toBe(5);
    expect((await ledger.get('/v1/events?limit=5000')).status).toBe(400);
  });

  it('rejects an unreadable asOf', async () => {
    const reply = await ledger.get('/v1/rankings/cchc/2023?asOf=last-week');
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('asOf');
  });

  it('is ready and healthy, and carries request ids', async () => {
    const ready = await ledger.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBeTruthy();
    expect((await ledger.get('/healthz')).body).toEqual({ status: 'ok' });
  });
});
