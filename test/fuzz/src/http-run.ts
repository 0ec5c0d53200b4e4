import { rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { SEED } from '../../../services/all-in-one/test/seed.ts';
import { startTestLedger, type TestLedger } from '../../../services/all-in-one/test/support.ts';
import { InvariantBroken, servedIsReplayed, settled, useCredential, verifies } from './invariants.ts';
import { buildCommand, learn, type Model, mutate, newModel, recordedAtFor } from './model.ts';
import type { HeaderSpec, QuerySpec, Spec } from './specs.ts';
import { count, type Stats } from './stats.ts';

/** One request as the fuzzer sends it. */
interface Request {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
  /** Whether the request may write: a refused one must leave no event behind. */
  readonly writes: boolean;
  readonly label: string;
  /** The commands it carries, for the model to learn from. */
  readonly commands?: readonly { type: unknown; body: unknown }[];
}

const segment = (value: unknown): string => {
  try {
    return encodeURIComponent(String(value));
  } catch {
    return 'x';
  }
};

/** The credentials a fuzzed write may carry instead of the owner's ('' for none). */
const CREDENTIALS: Record<NonNullable<HeaderSpec['credential']>, (model: Model) => string> = {
  none: () => '',
  forged: () => `Bearer ilk_${'0'.repeat(16)}_${'0'.repeat(64)}`,
  malformed: () => 'Bearer x y',
  'integrator-754': (model) => `Bearer ${model.integratorKey}`,
};

/** What HTTP can carry in a header value: visible Latin-1 bytes and inner spaces and tabs. */
const HEADER_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/** The headers of a write; a value HTTP cannot carry is left out, as no client can send it. */
function headersOf(spec: HeaderSpec, model: Model, id: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && HEADER_VALUE.test(value)) headers[name] = value;
  };
  set('x-actor', spec.actor);
  if (spec.credential) headers.authorization = CREDENTIALS[spec.credential](model);
  if (spec.idempotency === 'fresh') model.lastIdempotencyKey = `fz-key-${id}`;
  const key =
    spec.idempotency === 'fresh' || spec.idempotency === 'reuse'
      ? model.lastIdempotencyKey
      : spec.idempotency?.key;
  set('idempotency-key', key);
  set('x-correlation-id', spec.correlation);
  set('content-type', spec.contentType);
  return headers;
}

const SINGLE: Record<
  string,
  (body: Record<string, unknown>) => { path: string; body: Record<string, unknown> }
> = {
  unit: (body) => ({ path: '/v1/units', body }),
  'unit-revision': ({ unitId, ...body }) => ({ path: `/v1/units/${segment(unitId)}/revisions`, body }),
  indicator: (body) => ({ path: '/v1/indicators', body }),
  methodology: (body) => ({ path: '/v1/methodologies', body }),
  target: (body) => ({ path: '/v1/targets', body }),
  submission: (body) => ({ path: '/v1/submissions', body }),
  correction: ({ submissionId, ...body }) => ({
    path: `/v1/submissions/${segment(submissionId)}/corrections`,
    body,
  }),
  retraction: ({ submissionId, ...body }) => ({
    path: `/v1/submissions/${segment(submissionId)}/retractions`,
    body,
  }),
  principal: (body) => ({ path: '/v1/access/principals', body }),
  grant: (body) => ({ path: '/v1/access/grants', body }),
};

const WRITE_ROUTES = [
  '/v1/batch',
  '/v1/submissions',
  '/v1/units',
  '/v1/methodologies',
  '/v1/targets',
  '/v1/indicators',
  '/v1/ops/seal',
];

const pick = <T>(items: readonly T[], r: number | undefined): T =>
  items[Math.min(items.length - 1, Math.floor((r ?? 0) * items.length))] as T;

function queryOf(spec: QuerySpec, model: Model, draw: number): string {
  switch (spec.kind) {
    case 'none':
      return '';
    case 'asOf': {
      const at =
        spec.at === 'past'
          ? new Date(model.latest - Math.floor(draw * 400) * 86_400_000).toISOString()
          : spec.at === 'head'
            ? new Date(model.latest).toISOString()
            : spec.at === 'future'
              ? '2999-01-01'
              : spec.text;
      return `asOf=${segment(at)}`;
    }
    case 'atPosition':
      return `atPosition=${segment(spec.value)}`;
    case 'unknown':
      return `${segment(spec.name)}=1`;
    case 'twice':
      return 'asOf=2024-01-31&asOf=2024-02-01';
  }
}

/** Turns a spec into a request against the model's ledger. */
function requestOf(spec: Spec, model: Model, id: string): Request {
  switch (spec.kind) {
    case 'write': {
      const commands = spec.commands.map((c) => mutate(buildCommand(model, c), c.mutation));
      const recordedAt = recordedAtFor(model, spec.time);
      const headers = { 'content-type': 'application/json', ...headersOf(spec.headers, model, id) };
      const only = commands[0] as { type: unknown; body: unknown };
      const route =
        commands.length === 1 &&
        !spec.batch &&
        typeof only.type === 'string' &&
        Object.hasOwn(SINGLE, only.type)
          ? SINGLE[only.type]
          : undefined;
      if (route && only.body && typeof only.body === 'object' && !Array.isArray(only.body)) {
        const single = route(only.body as Record<string, unknown>);
        return {
          method: 'POST',
          path: single.path,
          body: JSON.stringify({ ...single.body, ...(recordedAt ? { recordedAt } : {}) }),
          headers,
          writes: true,
          label: `write ${String(only.type)}`,
          commands,
        };
      }
      return {
        method: 'POST',
        path: '/v1/batch',
        body: JSON.stringify({ commands, ...(recordedAt ? { recordedAt } : {}) }),
        headers,
        writes: true,
        label: 'write batch',
        commands,
      };
    }
    case 'raw':
      return {
        method: 'POST',
        path: pick(WRITE_ROUTES, (spec.route % 97) / 97),
        body: spec.body,
        headers: { 'content-type': spec.contentType },
        writes: true,
        label: 'raw',
      };
    case 'read': {
      const [a, b, c, d, e] = spec.draws;
      const m = segment(pick([...model.methodologies, 'toString', 'khong-co'], a));
      const p = pick(['2021', '2022', '2023', '2023-Q4', '2024', '2025-13', 'x'], b);
      const u = segment(pick([...model.units.map((x) => x.id), 'constructor'], c));
      const i = segment(
        pick(
          model.indicators.map((x) => x.code),
          d,
        ),
      );
      const q = queryOf(spec.query, model, e ?? 0);
      const routes = [
        `/v1/rankings/${m}/${p}?${q}`,
        `/v1/rankings/${m}/${p}/diff?from=2024-01-01&${q.replace('asOf', 'to')}`,
        `/v1/units/${u}/scorecard/${m}/${p}?${q}`,
        `/v1/units?${q}`,
        `/v1/units/${u}?${q}`,
        `/v1/indicators/${i}?${q}`,
        `/v1/methodologies/${m}?${q}`,
        `/v1/history?unitId=${u}&indicator=${i}&period=${p}${q ? `&${q}` : ''}`,
        `/v1/events?after=${Math.floor((e ?? 0) * 50)}&limit=20${spec.query.kind === 'unknown' ? `&${q}` : ''}`,
        '/v1/log',
        '/v1/log/checkpoint',
        `/v1/log/proofs/inclusion?position=${Math.floor((a ?? 0) * 40) + 1}`,
        `/v1/log/proofs/consistency?from=${Math.floor((b ?? 0) * 10)}`,
        `/v1/ops/projections${spec.query.kind === 'unknown' ? `?${q}` : ''}`,
      ];
      const path = routes[spec.route % routes.length] as string;
      return {
        method: 'GET',
        path,
        headers: {},
        writes: false,
        label: `read ${path.split('?')[0]?.split('/')[2]}`,
      };
    }
    case 'ops': {
      const body =
        spec.op === 'seal' || spec.op === 'key-rotation'
          ? JSON.stringify(
              typeof spec.reason === 'string' ? { reason: spec.reason } : { reason: spec.reason },
            )
          : spec.op === 'verify-replay'
            ? JSON.stringify({ methodologyId: pick(model.methodologies, 0), period: '2023' })
            : '{}';
      const path = {
        seal: '/v1/ops/seal',
        checkpoint: '/v1/ops/log/checkpoint',
        'key-rotation': '/v1/ops/log/key-rotation',
        'verify-replay': '/v1/ops/verify-replay',
        rebuild: '/v1/ops/projections/as-of-index/rebuild',
      }[spec.op];
      return {
        method: 'POST',
        path,
        body,
        headers: { 'content-type': 'application/json' },
        writes: spec.op === 'seal' || spec.op === 'key-rotation',
        label: `ops ${spec.op}`,
      };
    }
  }
}

/** Registers an integrator of 754 only, and returns its key: writes beyond its grant must get 403. */
async function integratorOf754(ledger: TestLedger): Promise<string> {
  const steps = [
    await ledger.post('/v1/access/principals', { id: 'svc:fz-int-754', name: 'Tích hợp Phú Mỹ' }),
    await ledger.post('/v1/access/grants', {
      principalId: 'svc:fz-int-754',
      role: 'integrator',
      unitId: '754',
    }),
    await ledger.post('/v1/access/principals/svc:fz-int-754/keys', {}),
  ];
  const refused = steps.find((s) => s.status !== 201);
  if (refused) throw new InvariantBroken(`the fuzz integrator was refused: ${JSON.stringify(refused.body)}`);
  return steps[2]?.body.key as string;
}

/**
 * One run against the real all-in-one server: the specs sent one after another, each answer
 * checked as it comes, then the invariants of the whole: the followers live, what is served is a
 * full replay of the store, the answers given (sealed, about the past) unchanged, `ledger verify`
 * passing, and the same again after a restart.
 */
export async function runHttp(specs: readonly Spec[], stats: Stats, runId: string): Promise<void> {
  const ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '1' });
  useCredential(ledger.ownerKey);
  let current: TestLedger | undefined = ledger;
  const db = new DatabaseSync(ledger.databasePath, { readOnly: true });
  try {
    const seeded = await ledger.post('/v1/batch', SEED);
    if (seeded.status !== 201)
      throw new InvariantBroken(`the seed was refused: ${JSON.stringify(seeded.body)}`);
    const model = newModel();
    model.integratorKey = await integratorOf754(ledger);
    const caused = db.prepare(
      "SELECT count(*) AS n FROM events WHERE position > ? AND json_extract(metadata, '$.causationId') = ?",
    );
    const head = () => (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p;
    const kept: { url: string; rows: string }[] = [];

    for (const [i, spec] of specs.entries()) {
      const id = `fz-${runId}-${i}`;
      const request = requestOf(spec, model, id);
      const before = head();
      const { authorization = `Bearer ${ledger.ownerKey}`, ...others } = request.headers;
      const res = await fetch(`${ledger.url}${request.path}`, {
        method: request.method,
        headers: { ...(authorization ? { authorization } : {}), ...others, 'x-request-id': id },
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      const text = await res.text();
      count(stats, request.label, res.status);
      if (process.env.FUZZ_TRACE) console.log(`${request.label} ${res.status} ${text.slice(0, 300)}`);
      const where = `${request.method} ${request.path} ${request.body?.slice(0, 600) ?? ''} → ${res.status} ${text.slice(0, 600)}`;
      if (res.status < 200 || res.status >= 500) {
        const state = await fetch(`${ledger.url}/v1/ops/projections`, {
          headers: { authorization: `Bearer ${ledger.ownerKey}` },
        }).then((r) => r.text());
        throw new InvariantBroken(
          `an answer that is neither 2xx nor 4xx: ${where}\nops: ${state.slice(0, 1_500)}`,
        );
      }
      let body: {
        results?: { submissionId?: string; recordedAt: string }[];
        recordedAt?: string;
        submissionId?: string;
        sealed?: boolean;
        rows?: unknown;
        divergence?: unknown;
      } = {};
      const type = res.headers.get('content-type') ?? '';
      if (res.status >= 400 && !type.startsWith('application/problem+json'))
        throw new InvariantBroken(`a refusal that is not problem+json: ${where}`);
      if (type.includes('json'))
        try {
          body = JSON.parse(text);
        } catch {
          throw new InvariantBroken(`an answer that says JSON and is not: ${where}`);
        }
      if (request.writes) {
        const n = (caused.get(before, id) as { n: number }).n;
        if (res.status >= 400 && n > 0)
          throw new InvariantBroken(`a refused request left ${n} events behind: ${where}`);
        if (res.status < 300 && request.commands) {
          const results = body.results ?? (body.recordedAt ? [body as { recordedAt: string }] : []);
          if (n < results.length)
            throw new InvariantBroken(
              `an accepted write recorded ${n} of ${results.length} events: ${where}`,
            );
          learn(model, request.commands, results);
        }
      }
      if (res.status === 409 && /sealed/.test(text)) model.sealed = true;
      if (request.label === 'ops verify-replay' && res.status === 200 && body.divergence)
        throw new InvariantBroken(`the served ranking differs from a replay: ${where}`);
      // A sealed answer about an instant a second in the past: it must never change.
      const asOf = /^\/v1\/rankings\/[^/]+\/[^/]+\?asOf=([^&]+)$/.exec(request.path)?.[1];
      if (
        res.status === 200 &&
        body.sealed &&
        asOf &&
        Date.parse(decodeURIComponent(asOf)) < Date.now() - 1_000
      )
        kept.push({ url: request.path, rows: JSON.stringify(body.rows) });
      // And every tenth request, the answer a citing auditor would keep: each methodology's 2023
      // ranking as of a moment ago.
      if (i % 10 === 9)
        for (const methodologyId of model.methodologies) {
          const url = `/v1/rankings/${methodologyId}/2023?asOf=${new Date(Date.now() - 1_500).toISOString()}`;
          const answer = await ledger.get(url);
          if (answer.status === 200 && answer.body.sealed)
            kept.push({ url, rows: JSON.stringify(answer.body.rows) });
        }
    }

    await settled([ledger.url]);
    stats.rankingsCompared += await servedIsReplayed(ledger.url, ledger.databasePath);
    for (const answer of kept) {
      const again = await ledger.get(answer.url);
      if (JSON.stringify(again.body.rows) !== answer.rows)
        throw new InvariantBroken(
          `an answer given changed: GET ${answer.url} was ${answer.rows.slice(0, 300)}, is ${JSON.stringify(again.body.rows).slice(0, 300)}`,
        );
    }
    stats.answersKept += kept.length;
    await verifies(ledger.url, ledger.databasePath);

    // The ledger restarts on what it accepted, and serves the same.
    current = undefined;
    await ledger.stop();
    current = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '1', LEDGER_DATA_DIR: ledger.dataDir });
    await settled([current.url]);
    await servedIsReplayed(current.url, current.databasePath, 1);
    stats.runs++;
  } finally {
    db.close();
    if (current) await current.dispose();
    else await rm(ledger.dataDir, { recursive: true, force: true });
  }
}
