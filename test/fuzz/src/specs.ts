import fc from 'fast-check';
import { anyJson, anyNumber, anyString, nestedText } from './edges.ts';

/**
 * What the fuzzer sends, as plain data that fast-check generates and shrinks. Choices that need
 * the ledger's state (which unit, which submission) are numbers in [0, 1) that the interpreter
 * (model.ts) resolves against what the ledger has answered so far.
 */

export const COMMAND_TYPES = [
  'unit',
  'unit-revision',
  'indicator',
  'methodology',
  'target',
  'submission',
  'correction',
  'retraction',
  'principal',
  'grant',
] as const;

/** How a valid command is spoiled, if it is. */
export type Mutation =
  | { readonly op: 'replace'; readonly field: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly field: number }
  /** Replaces a value at any depth (a rule's factor, an indicator's maxPoints, a group name). */
  | { readonly op: 'leaf'; readonly leaf: number; readonly value: unknown }
  | { readonly op: 'add'; readonly key: string; readonly value: unknown }
  | { readonly op: 'type'; readonly type: string }
  | { readonly op: 'body'; readonly body: unknown };

export interface CommandSpec {
  readonly type: (typeof COMMAND_TYPES)[number];
  /** The random numbers a builder draws its choices from. */
  readonly draws: readonly number[];
  readonly mutation?: Mutation;
}

/**
 * When a write asks to be recorded: at the clock, as the next import, around the log's head, in
 * the future, long ago, or malformed.
 */
export type TimeChoice =
  | 'clock'
  | 'import'
  | 'head-1ms'
  | 'head'
  | 'head+1ms'
  | 'now'
  | 'future'
  | 'long-ago'
  | 'malformed';

export interface HeaderSpec {
  readonly actor?: string;
  /** Who the request is from: the owner (undefined), no credential, a forged or malformed one, or an integrator of 754 only. */
  readonly credential?: 'none' | 'forged' | 'malformed' | 'integrator-754';
  readonly idempotency?: 'fresh' | 'reuse' | { readonly key: string };
  readonly correlation?: string;
  readonly contentType?: string;
}

export type Spec =
  | {
      readonly kind: 'write';
      readonly batch: boolean;
      readonly commands: readonly CommandSpec[];
      readonly time: TimeChoice;
      readonly headers: HeaderSpec;
    }
  | { readonly kind: 'raw'; readonly route: number; readonly body: string; readonly contentType: string }
  | {
      readonly kind: 'read';
      readonly route: number;
      readonly draws: readonly number[];
      readonly query: QuerySpec;
    }
  | {
      readonly kind: 'ops';
      readonly op: 'seal' | 'checkpoint' | 'verify-replay' | 'rebuild' | 'key-rotation';
      readonly reason?: unknown;
    };

export type QuerySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'asOf'; readonly at: 'past' | 'head' | 'future' | 'text'; readonly text: string }
  | { readonly kind: 'atPosition'; readonly value: string }
  | { readonly kind: 'unknown'; readonly name: string }
  | { readonly kind: 'twice' };

/** Choices in [0, 1), spread evenly (fast-check's doubles crowd the ends of their range). */
const draws = fc.array(
  fc.integer({ min: 0, max: 9_999 }).map((n) => n / 10_000),
  { minLength: 12, maxLength: 12 },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('replace' as const),
    field: fc.nat(),
    value: fc.oneof(anyString(), anyNumber(), anyJson(), fc.constant(null)),
  }),
  fc.record({ op: fc.constant('delete' as const), field: fc.nat() }),
  fc.record({
    op: fc.constant('leaf' as const),
    leaf: fc.nat(),
    value: fc.oneof(anyString(), anyNumber(), fc.constant(null), fc.constant(1e308)),
  }),
  fc.record({
    op: fc.constant('add' as const),
    key: fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'recordedAt', 'toString', 'extra'),
      anyString(),
    ),
    value: anyJson(),
  }),
  fc.record({
    op: fc.constant('type' as const),
    type: fc.oneof(
      fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', 'Unit', ''),
      anyString(),
    ),
  }),
  fc.record({ op: fc.constant('body' as const), body: anyJson() }),
);

export const commandSpec: fc.Arbitrary<CommandSpec> = fc.record(
  {
    type: fc.oneof(
      { arbitrary: fc.constant('submission' as const), weight: 6 },
      { arbitrary: fc.constant('correction' as const), weight: 3 },
      { arbitrary: fc.constant('retraction' as const), weight: 1 },
      { arbitrary: fc.constant('target' as const), weight: 2 },
      { arbitrary: fc.constant('unit' as const), weight: 2 },
      { arbitrary: fc.constant('unit-revision' as const), weight: 1 },
      { arbitrary: fc.constant('indicator' as const), weight: 1 },
      { arbitrary: fc.constant('methodology' as const), weight: 1 },
      { arbitrary: fc.constant('principal' as const), weight: 1 },
      { arbitrary: fc.constant('grant' as const), weight: 1 },
    ),
    draws,
    mutation: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: mutation, weight: 1 }),
  },
  { requiredKeys: ['type', 'draws'] },
) as fc.Arbitrary<CommandSpec>;

const time: fc.Arbitrary<TimeChoice> = fc.oneof(
  { arbitrary: fc.constant('clock' as const), weight: 8 },
  { arbitrary: fc.constant('import' as const), weight: 3 },
  {
    arbitrary: fc.constantFrom('head-1ms' as const, 'head' as const, 'head+1ms' as const, 'now' as const),
    weight: 3,
  },
  { arbitrary: fc.constantFrom('future' as const, 'long-ago' as const, 'malformed' as const), weight: 1 },
);

/** Headers: mostly what an integrator sends, now and then an odd one. */
const rarely = <T>(odd: fc.Arbitrary<T>, usual: fc.Arbitrary<T | undefined> = fc.constant(undefined)) =>
  fc.oneof({ arbitrary: usual, weight: 9 }, { arbitrary: odd, weight: 1 });

const headers: fc.Arbitrary<HeaderSpec> = fc.record(
  {
    // X-Actor is refused: now and then a client still sends one.
    actor: rarely(fc.oneof(anyString(), fc.constantFrom('so-noi-vu-brvt', 'ubnd-phu-my', 'svc:int-754'))),
    credential: rarely(
      fc.constantFrom('none' as const, 'forged' as const, 'malformed' as const, 'integrator-754' as const),
    ),
    idempotency: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 6 },
      { arbitrary: fc.constant('fresh' as const), weight: 2 },
      { arbitrary: fc.constant('reuse' as const), weight: 1 },
      { arbitrary: fc.record({ key: anyString() }), weight: 1 },
    ),
    correlation: rarely(anyString()),
    contentType: rarely(
      fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16'),
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<HeaderSpec>;

/** A read's query: none, an asOf (sometimes odd), a position, an unknown or repeated parameter. */
const query: fc.Arbitrary<QuerySpec> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('asOf' as const),
      at: fc.constantFrom('past' as const, 'head' as const, 'future' as const, 'text' as const),
      text: anyString(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('atPosition' as const),
      value: fc.oneof(fc.nat({ max: 2_000 }).map(String), fc.constantFrom('-1', '1e20', '1.5', 'x', '')),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('unknown' as const),
      name: fc.oneof(fc.constantFrom('asof', 'AsOf', 'bogus', '__proto__', 'constructor'), anyString()),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'twice' as const }), weight: 1 },
);

/** A raw body that is not a command at all: random JSON, deep nesting, garbage, huge numbers. */
const rawBody: fc.Arbitrary<string> = fc.oneof(
  anyJson().map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .integer({ min: 10, max: 5_000 })
    .chain((depth) => fc.boolean().map((objects) => nestedText(depth, objects))),
  fc.integer({ min: 60, max: 70 }).map((depth) => `{"commands": ${nestedText(depth, false)}}`),
  fc.constantFrom(
    '{"commands": [{"type": "submission", "body": {"unitId": "747", "indicator": "on-time", "period": "2023", "value": 1e999}}]}',
    '{"commands": [{"type": "toString", "body": {}}]}',
    '{"__proto__": {"commands": 1}, "commands": []}',
    '{"commands": [{"type": "unit", "body": {"id": "a"}, "type": "unit"}]}',
    '{"unitId": "747", "unitId": "748"}',
    'not json',
    '',
    '{',
    '[]',
    'null',
    '"text"',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

export const spec: fc.Arbitrary<Spec> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      batch: fc.boolean(),
      commands: fc.array(commandSpec, { minLength: 1, maxLength: 5 }),
      time,
      headers,
    }),
    weight: 10,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      route: fc.nat(),
      body: rawBody,
      contentType: fc.constantFrom(
        'application/json',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
      ),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('read' as const), route: fc.nat(), draws, query }), weight: 5 },
  {
    arbitrary: fc.record(
      {
        kind: fc.constant('ops' as const),
        op: fc.oneof(
          { arbitrary: fc.constant('checkpoint' as const), weight: 3 },
          { arbitrary: fc.constant('seal' as const), weight: 1 },
          { arbitrary: fc.constant('rebuild' as const), weight: 1 },
          { arbitrary: fc.constant('verify-replay' as const), weight: 1 },
          { arbitrary: fc.constant('key-rotation' as const), weight: 1 },
        ),
        reason: fc.oneof(anyString(), anyJson()),
      },
      { requiredKeys: ['kind', 'op'] },
    ),
    weight: 1,
  },
);
