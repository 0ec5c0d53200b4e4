import type { z } from 'zod';
import { COMMANDS, type Command, type CommandType } from '../src/commands.ts';
import { type DecideContext, type Decision, decide } from '../src/decide.ts';
import { Rejection } from '../src/errors.ts';
import { schemaVersionOf } from '../src/events.ts';
import type { Methodology } from '../src/facts.ts';
import { ledgerDay } from '../src/instants.ts';
import { evolve } from '../src/ledger-fold.ts';
import { createLedgerIndex, type LedgerIndex, type LedgerRecordedEvent } from '../src/ledger-index.ts';
import { type LedgerView, viewAt } from '../src/view.ts';
import { createWriteState, evolveWriteState, type WriteState } from '../src/write-state.ts';

/** A command as an integrator would send it, validated by its schema (defaults applied, text normalised). */
export function cmd<T extends CommandType>(type: T, input: z.input<(typeof COMMANDS)[T]>): Command {
  return { type, body: COMMANDS[type].parse(input) } as Command;
}

/** Deterministic UUIDv7-shaped ids: the domain draws no randomness, so tests supply it. */
export function sequentialIds(prefix = '0190f0a0-0000-7000-8000'): () => string {
  let n = 0;
  return () => `${prefix}-${(++n).toString(16).padStart(12, '0')}`;
}

/** Runs the command, expecting a Rejection; returns it so the test can check kind and paths. */
export function rejectionOf(run: () => unknown): Rejection {
  try {
    run();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected the command to be rejected');
}

/** The field paths a rejection names. */
export const pathsOf = (rejection: Rejection): string[] => rejection.errors.map((e) => e.path);

export const T0 = Date.parse('2024-01-15T02:00:00.000Z');
const DAY = 86_400_000;

/**
 * A ledger in memory, as the ingestion would keep it: commands are decided against the write
 * state, then recorded at the next log position with a recordedAt that never goes backwards.
 */
export class TestLedger {
  readonly state: WriteState = createWriteState();
  readonly events: LedgerRecordedEvent[] = [];
  readonly newId = sequentialIds();
  #clock: number;

  constructor(startMs = T0) {
    this.#clock = startMs;
  }

  /** recordedAt (epoch ms) of the last event, or of the start. */
  get clock(): number {
    return this.#clock;
  }

  /** Decides against the write state, recording on the clock's day unless `ctx` says otherwise. */
  decide(command: Command, ctx: Partial<DecideContext> = {}): Decision {
    return decide(command, this.state, { newId: this.newId, today: ledgerDay(this.#clock), ...ctx });
  }

  /** Decides and records the command; `atMs` (default: the clock) must not go backwards. */
  record(command: Command, atMs: number = this.#clock): LedgerRecordedEvent {
    const decision = this.decide(command);
    return this.append(decision, atMs);
  }

  /** Records a command with the clock moved on by `days`. */
  later(days: number, command: Command): LedgerRecordedEvent {
    return this.record(command, this.#clock + days * DAY);
  }

  /** The submission id of the value-submitted event `record` returned. */
  submit(input: z.input<typeof COMMANDS.submission>, atMs?: number): string {
    const event = this.record(cmd('submission', input), atMs);
    if (event.type !== 'ledger.value-submitted.v1') throw new Error('not a submission');
    return event.data.submissionId;
  }

  append(decision: Decision, atMs: number): LedgerRecordedEvent {
    if (atMs < this.#clock) throw new Error('recordedAt must not go backwards along the log');
    this.#clock = atMs;
    evolveWriteState(this.state, decision.streamId, decision.event);
    const position = this.events.length + 1;
    const event = {
      eventId: `0190f0a1-0000-7000-8000-${position.toString(16).padStart(12, '0')}`,
      type: decision.event.type,
      schemaVersion: schemaVersionOf(decision.event.type),
      streamId: decision.streamId,
      revision: decision.expectedRevision + 1,
      position,
      recordedAt: new Date(atMs).toISOString(),
      data: decision.event.data,
      metadata: { actor: 'test-integrator', correlationId: `corr-${position}`, causationId: null },
    } as LedgerRecordedEvent;
    this.events.push(event);
    return event;
  }

  /** A fresh index of every event recorded so far. */
  index(): LedgerIndex {
    return indexOf(this.events);
  }

  /** The ledger as it stands now. */
  view(): LedgerView {
    return viewAt(this.index());
  }
}

export function indexOf(events: readonly LedgerRecordedEvent[]): LedgerIndex {
  const index = createLedgerIndex();
  for (const e of events) evolve(index, e);
  return index;
}

/** The methodology version in force at the view's position (for `period`, when given). */
export function methodologyOf(view: LedgerView, id: string, period?: string): Methodology {
  const m = view.methodology(id, period);
  if (!m) throw new Error(`methodology ${id} is not in force at position ${view.position} for ${period}`);
  return m;
}

/**
 * Indicators in the style of the Decision 766/QĐ-TTg index (serving people and businesses in
 * administrative procedures and public services).
 */
export const IND = {
  /** Tỷ lệ hồ sơ trực tuyến: share of dossiers filed online. */
  online: 'online-service-rate',
  /** Tỷ lệ hồ sơ giải quyết đúng hạn: share of dossiers settled on time. */
  onTime: 'on-time-rate',
  /** Mức độ hài lòng: satisfaction of people and businesses. */
  satisfaction: 'satisfaction-rate',
  /** Số ngày giải quyết bình quân: average days to settle a dossier (lower is better). */
  processingDays: 'avg-processing-days',
  /** Tỷ lệ số hoá hồ sơ: share of dossiers digitised. */
  digitised: 'digitised-rate',
  /** Số hồ sơ quá hạn: overdue dossiers (lower is better). */
  overdue: 'overdue-dossiers',
} as const;

export const GROUP = {
  online: 'Dịch vụ trực tuyến',
  progress: 'Tiến độ giải quyết',
  satisfaction: 'Mức độ hài lòng',
  digitisation: 'Số hoá hồ sơ',
} as const;

export const PROVINCE_METHODOLOGY = 'qd766-province';

/** Registers Thừa Thiên Huế under the national unit: the province the tests rename, move and abolish. */
export const registerThuaThienHue = (): Command =>
  cmd('unit', {
    id: 'TTH',
    validFrom: '2000-01-01',
    name: 'Tỉnh Thừa Thiên Huế',
    level: 'province',
    parentId: 'VN',
  });

/** The national unit, four provinces and the Decision 766 indicators. */
export function catalogLedger(startMs = T0): TestLedger {
  const l = new TestLedger(startMs);
  l.record(cmd('unit', { id: 'VN', validFrom: '2000-01-01', name: 'Việt Nam', level: 'national' }));
  for (const [id, name] of [
    ['HN', 'Thành phố Hà Nội'],
    ['HP', 'Thành phố Hải Phòng'],
    ['DN', 'Thành phố Đà Nẵng'],
    ['HCM', 'Thành phố Hồ Chí Minh'],
  ] as const)
    l.record(cmd('unit', { id, validFrom: '2000-01-01', name, level: 'province', parentId: 'VN' }));
  const indicators = [
    [IND.online, 'Tỷ lệ hồ sơ trực tuyến', 'percent', 'higher-is-better'],
    [IND.onTime, 'Tỷ lệ hồ sơ giải quyết đúng hạn', 'percent', 'higher-is-better'],
    [IND.satisfaction, 'Mức độ hài lòng', 'percent', 'higher-is-better'],
    [IND.processingDays, 'Số ngày giải quyết bình quân', 'ratio', 'lower-is-better'],
    [IND.digitised, 'Tỷ lệ số hoá hồ sơ', 'percent', 'higher-is-better'],
    [IND.overdue, 'Số hồ sơ quá hạn', 'count', 'lower-is-better'],
  ] as const;
  for (const [code, name, measure, direction] of indicators)
    l.record(cmd('indicator', { code, name, measure, direction }));
  return l;
}

/** A province methodology after Decision 766: online services, progress, satisfaction. */
export function publishProvinceMethodology(l: TestLedger): void {
  l.record(
    cmd('methodology', {
      id: PROVINCE_METHODOLOGY,
      name: 'Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) — cấp tỉnh',
      level: 'province',
      indicators: [
        {
          indicator: IND.online,
          group: GROUP.online,
          maxPoints: 12,
          rule: { kind: 'attainment', threshold: 80 },
        },
        { indicator: IND.onTime, group: GROUP.progress, maxPoints: 20, rule: { kind: 'attainment' } },
        { indicator: IND.processingDays, group: GROUP.progress, maxPoints: 10, rule: { kind: 'attainment' } },
        {
          indicator: IND.satisfaction,
          group: GROUP.satisfaction,
          maxPoints: 18,
          rule: { kind: 'scaled', factor: 0.2 },
        },
        { indicator: IND.digitised, group: GROUP.digitisation, maxPoints: 8, rule: { kind: 'met' } },
      ],
    }),
  );
}
