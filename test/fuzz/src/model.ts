import { ROLES } from '@ledger/domain';
import type { CommandSpec, Mutation, TimeChoice } from './specs.ts';

/**
 * What the fuzzer knows of the ledger from its answers: enough to build commands that are valid
 * or nearly so, so that most reach decide and the store rather than stop at the first field.
 */
export interface Model {
  readonly units: { id: string; level: string }[];
  readonly indicators: { code: string; measure: string }[];
  readonly methodologies: string[];
  readonly submissions: { id: string; retracted: boolean }[];
  /** The principals the fuzzer registered (or tried to). */
  readonly principals: string[];
  /** The latest recordedAt the ledger has answered with (ms). */
  latest: number;
  /** The next instant an import asks for (ms), a day after the last. */
  importAt: number;
  sealed: boolean;
  lastIdempotencyKey?: string;
  /** The API key of an integrator of 754 only, registered at the start of a run. */
  integratorKey?: string;
  counter: number;
}

export const newModel = (): Model => ({
  units: [
    { id: '77', level: 'province' },
    { id: '747', level: 'district' },
    { id: '748', level: 'district' },
    { id: '754', level: 'district' },
  ],
  indicators: [
    { code: 'on-time', measure: 'percent' },
    { code: 'satisfaction', measure: 'percent' },
  ],
  methodologies: ['cchc'],
  submissions: [],
  principals: ['svc:fz-int-754'],
  latest: Date.parse('2024-01-05T02:00:00Z'),
  importAt: Date.parse('2024-01-06T02:00:00Z'),
  sealed: false,
  counter: 0,
});

const NAMES = [
  'TP. Vũng Tàu',
  'TP. Bà Rịa',
  'TX. Phú Mỹ',
  'H. Châu Đức',
  'H. Xuyên Mộc',
  'H. Long Điền',
  'H. Đất Đỏ',
  'H. Côn Đảo',
  'Phường Thắng Tam',
  'Xã Long Sơn',
  'Đặc khu Côn Đảo',
];
const REASONS = ['Số liệu khảo sát bị nhập nhầm', 'Phiếu trùng lặp đã bị loại', 'Sai đơn vị tính\nĐã sửa'];
const PERIODS = ['2021', '2022', '2023', '2023-Q4', '2023-12', '2024', '2024-Q1', '2025-06', '2026'];
const LEVELS = ['province', 'district', 'commune', 'department'];
const MEASURES = ['percent', 'count', 'ratio', 'score'];

const pick = <T>(items: readonly T[], r: number | undefined): T =>
  items[Math.min(items.length - 1, Math.floor((r ?? 0) * items.length))] as T;

/** A value that suits the indicator's measure, now and then one that does not. */
const valueFor = (measure: string, r: number, s: number) => {
  const v = measure === 'percent' ? r * 100 : measure === 'count' ? Math.floor(r * 10_000) : r * 50;
  return s < 0.05 ? -v - 1 : Math.round(v * 100) / 100;
};

/** A valid command (as far as the fuzzer knows) for one spec, before its mutation. */
export function buildCommand(
  model: Model,
  spec: CommandSpec,
): { type: string; body: Record<string, unknown> } {
  const [a, b, c, d, e, f, g, h] = spec.draws;
  const unit = pick(model.units, a);
  const indicator = pick(model.indicators, b);
  const period = pick(PERIODS, c);
  const submission = model.submissions.length ? pick(model.submissions, d) : undefined;
  const fresh = () => `F${(model.counter++).toString(36)}`;
  switch (spec.type) {
    case 'unit':
      return {
        type: 'unit',
        body: {
          id: (e ?? 0) < 0.9 ? fresh() : unit.id,
          name: pick(NAMES, f),
          level: pick(LEVELS, g),
          ...((h ?? 0) < 0.7 ? { parentId: pick(model.units, h).id } : {}),
          ...((d ?? 0) < 0.8 ? { validFrom: '2020-01-01' } : {}),
        },
      };
    case 'unit-revision':
      return {
        type: 'unit-revision',
        body: {
          unitId: unit.id,
          ...((e ?? 0) < 0.5 ? { name: pick(NAMES, f) } : {}),
          ...((g ?? 0) < 0.3 ? { parentId: pick(model.units, h).id } : {}),
          ...((d ?? 0) < 0.3 ? { validTo: '2025-06-30' } : {}),
          ...((c ?? 0) < 0.3 ? { effectiveFrom: '2025-01-01' } : {}),
        },
      };
    case 'indicator':
      return {
        type: 'indicator',
        body: {
          code: (e ?? 0) < 0.7 ? `i-${fresh()}` : indicator.code,
          name: pick(NAMES, f),
          measure: pick(MEASURES, g),
          direction: (h ?? 0) < 0.8 ? 'higher-is-better' : 'lower-is-better',
        },
      };
    case 'methodology': {
      const chosen = model.indicators.filter((_, i) => ((spec.draws[(i % 8) + 4] ?? 0) + i / 7) % 1 < 0.6);
      const list = chosen.length ? chosen : [indicator];
      return {
        type: 'methodology',
        body: {
          id: (e ?? 0) < 0.5 ? `m-${fresh()}` : pick(model.methodologies, f),
          name: 'Chỉ số thử',
          level: pick(LEVELS, g),
          ...((h ?? 0) < 0.3 ? { appliesFrom: period } : {}),
          indicators: list.map((item, i) => {
            const r = spec.draws[i % 12] ?? 0;
            const measure = item.measure;
            return r < 0.4
              ? {
                  indicator: item.code,
                  group: pick(['Tiến độ', 'Hài lòng', 'constructor'], r * 2),
                  maxPoints: 10 + i,
                  rule: { kind: 'attainment', threshold: 80 },
                }
              : r < 0.7
                ? { indicator: item.code, maxPoints: 5, rule: { kind: 'met' } }
                : {
                    indicator: item.code,
                    ...(measure === 'percent' ? {} : { maxPoints: 5 }),
                    rule: { kind: 'scaled', factor: 0.1 },
                  };
          }),
        },
      };
    }
    case 'target':
      return {
        type: 'target',
        body: {
          indicator: indicator.code,
          period,
          value: valueFor(indicator.measure, e ?? 0, f ?? 1),
          authority: 'HĐND tỉnh',
          ...((g ?? 0) < 0.5 ? { unitId: unit.id } : {}),
          ...((h ?? 0) < 0.3 ? { reason: pick(REASONS, h) } : {}),
        },
      };
    case 'submission':
      return {
        type: 'submission',
        body: {
          unitId: unit.id,
          indicator: indicator.code,
          period,
          value: valueFor(indicator.measure, e ?? 0, f ?? 1),
          ...((g ?? 0) < 0.3 ? { source: 'Cổng dịch vụ công' } : {}),
        },
      };
    case 'correction':
      return {
        type: 'correction',
        body: {
          submissionId: submission?.id ?? '0190f0a0-0000-7000-8000-000000000000',
          value: valueFor(indicator.measure, e ?? 0, f ?? 1),
          reason: pick(REASONS, g),
        },
      };
    case 'retraction':
      return {
        type: 'retraction',
        body: {
          submissionId: submission?.id ?? '0190f0a0-0000-7000-8000-000000000000',
          reason: pick(REASONS, g),
        },
      };
    case 'principal': {
      const id = (e ?? 0) < 0.85 ? `svc:fz-${fresh().toLowerCase()}` : pick(model.principals, f);
      model.principals.push(id);
      return {
        type: 'principal',
        body: {
          id,
          name: pick(NAMES, g),
          ...((h ?? 0) < 0.2 ? { oidc: { issuer: 'https://id.example.gov.vn', subject: fresh() } } : {}),
        },
      };
    }
    case 'grant':
      return {
        type: 'grant',
        body: {
          principalId: pick(model.principals, e),
          role: pick(ROLE_NAMES, f),
          ...((g ?? 0) < 0.6 ? { unitId: unit.id } : {}),
          ...((h ?? 0) < 0.3 ? { validFrom: '2024-01-01', validTo: '2030-12-31' } : {}),
          ...((c ?? 0) < 0.3 ? { reason: pick(REASONS, c) } : {}),
        },
      };
  }
}

const ROLE_NAMES = [...ROLES];

/** The command with its mutation applied: a field replaced, removed or added, another type, another body. */
export function mutate(
  command: { type: string; body: Record<string, unknown> },
  mutation: Mutation | undefined,
): { type: unknown; body: unknown } {
  if (!mutation) return command;
  const keys = Object.keys(command.body);
  const body: Record<string, unknown> = { ...command.body };
  switch (mutation.op) {
    case 'replace':
      if (keys.length) body[keys[mutation.field % keys.length] as string] = mutation.value;
      return { type: command.type, body };
    case 'delete':
      if (keys.length) delete body[keys[mutation.field % keys.length] as string];
      return { type: command.type, body };
    case 'leaf': {
      const copy = structuredClone(command.body);
      const leaves: [Record<string, unknown>, string][] = [];
      const walk = (node: unknown) => {
        if (!node || typeof node !== 'object') return;
        for (const [k, v] of Object.entries(node)) {
          if (v && typeof v === 'object') walk(v);
          else leaves.push([node as Record<string, unknown>, k]);
        }
      };
      walk(copy);
      const chosen = leaves[mutation.leaf % Math.max(1, leaves.length)];
      if (chosen) chosen[0][chosen[1]] = mutation.value;
      return { type: command.type, body: copy };
    }
    case 'add':
      Object.defineProperty(body, mutation.key, {
        value: mutation.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return { type: command.type, body };
    case 'type':
      return { type: mutation.type, body };
    case 'body':
      return { type: command.type, body: mutation.body };
  }
}

/** The recordedAt a write asks for, if any. */
export function recordedAtFor(model: Model, time: TimeChoice): string | undefined {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (time) {
    case 'clock':
      return undefined;
    case 'import': {
      const at = Math.min(Date.now() - 1_000, Math.max(model.importAt, model.latest));
      model.importAt = at + 86_400_000;
      return iso(at);
    }
    case 'head-1ms':
      return iso(model.latest - 1);
    case 'head':
      return iso(model.latest);
    case 'head+1ms':
      return iso(model.latest + 1);
    case 'now':
      return iso(Date.now());
    case 'future':
      return iso(Date.now() + 86_400_000);
    case 'long-ago':
      return '2001-01-01T00:00:00+07:00';
    case 'malformed':
      return '2024-13-45T25:61:00';
  }
}

/** What a recorded write tells the model: units, indicators, methodologies, submissions, and time. */
export function learn(
  model: Model,
  commands: readonly { type: unknown; body: unknown }[],
  results: readonly { submissionId?: string; recordedAt: string }[],
) {
  commands.forEach((command, i) => {
    const body = command.body as Record<string, unknown>;
    const result = results[i];
    if (!result) return;
    model.latest = Math.max(model.latest, Date.parse(result.recordedAt));
    if (command.type === 'unit') model.units.push({ id: String(body.id), level: String(body.level) });
    if (command.type === 'indicator' && !model.indicators.some((x) => x.code === body.code))
      model.indicators.push({ code: String(body.code), measure: String(body.measure) });
    if (command.type === 'methodology' && !model.methodologies.includes(String(body.id)))
      model.methodologies.push(String(body.id));
    if (result.submissionId) model.submissions.push({ id: result.submissionId, retracted: false });
  });
}
