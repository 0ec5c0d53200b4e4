/**
 * RFC 8785 (JCS) canonical bytes. Expected outputs come from the RFC and from the JCS test data of
 * its author (github.com/cyberphone/json-canonicalization, testdata/input and testdata/output),
 * not from this library.
 */
import type { RecordedEvent } from '@ledger/domain';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEventBytes, canonicalJson, eventLeafHash, eventLeafHashes } from '../src/canonical.ts';
import { leafHash } from '../src/rfc9162.ts';
import { ledgerEvents } from './fixtures/events.ts';

const text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

describe('RFC 8785 canonical JSON (the JCS test data)', () => {
  // [input JSON text, expected canonical output]
  const vectors: [string, string, string][] = [
    [
      'arrays',
      '[\n  56,\n  {\n    "d": true,\n    "10": null,\n    "1": [ ]\n  }\n]',
      '[56,{"1":[],"10":null,"d":true}]',
    ],
    [
      'french',
      '{\n  "peach": "This sorting order",\n  "péché": "is wrong according to French",\n  "pêche": "but canonicalization MUST",\n  "sin":   "ingnore locale"\n}\n',
      '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ingnore locale"}',
    ],
    [
      'structures',
      '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n  "a": { },\n  "111": [ { } ],\n  "A": { }\n}',
      '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    ],
    [
      'unicode (no normalisation)',
      '{\n  "Unnormalized Unicode":"\\u1e0d\\u0307"\n}\n',
      '{"Unnormalized Unicode":"\u1e0d\u0307"}',
    ],
    [
      'values',
      '{\n  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}',
      '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}',
    ],
    [
      'weird (sorting by UTF-16 code units)',
      '{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n',
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
    ['simpleString', '"\\u0074his is a test string 1235"', '"this is a test string 1235"'],
  ];

  it.each(vectors)('%s', (_name, input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it('sorts keys by UTF-16 code units, not code points', () => {
    // U+1F602 is the surrogate pair D83D DE02, which sorts before U+FB33 in UTF-16 order, though
    // it comes after it in code point order.
    expect(canonicalJson({ '\ufb33': 1, '\u{1f602}': 2 })).toBe('{"\u{1f602}":2,"\ufb33":1}');
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 }, A: 0 })).toBe('{"A":0,"a":{"c":2,"d":1},"b":1}');
  });

  // RFC 8785 Appendix B: IEEE 754 bit patterns and their serialisation.
  const numbers: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(numbers)('number 0x%s is written %s', (bits, expected) => {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    expect(canonicalJson([value])).toBe(`[${expected}]`);
  });

  it('refuses what JSON cannot carry exactly', () => {
    expect(() => canonicalJson({ v: Number.NaN })).toThrow();
    expect(() => canonicalJson({ v: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson({ v: '\ud800' })).toThrow();
    expect(() => canonicalJson({ v: 1n })).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('canonicalEventBytes', () => {
  const event: RecordedEvent = {
    eventId: '0190a1b2-0000-7000-8000-000000000001',
    type: 'ledger.unit-registered.v1',
    schemaVersion: 1,
    streamId: 'unit:747',
    revision: 0,
    position: 42,
    recordedAt: '2024-01-09T08:00:00.000Z',
    data: { unitId: '747', name: 'Thị xã Phú Mỹ', level: 'district', parentId: '77' },
    metadata: { actor: 'ubnd-ba-ria-vung-tau', correlationId: 'c-1', causationId: null },
  };

  it('is the whole envelope, keys sorted, Vietnamese kept as UTF-8', () => {
    const bytes = canonicalEventBytes(event);
    expect(text(bytes)).toBe(
      '{"data":{"level":"district","name":"Thị xã Phú Mỹ","parentId":"77","unitId":"747"},' +
        '"eventId":"0190a1b2-0000-7000-8000-000000000001",' +
        '"metadata":{"actor":"ubnd-ba-ria-vung-tau","causationId":null,"correlationId":"c-1"},' +
        '"position":42,"recordedAt":"2024-01-09T08:00:00.000Z","revision":0,"schemaVersion":1,' +
        '"streamId":"unit:747","type":"ledger.unit-registered.v1"}',
    );
    // "ị" (U+1ECB) is 3 bytes of UTF-8, not a \u escape.
    expect(Buffer.from(bytes).includes(Buffer.from([0xe1, 0xbb, 0x8b]))).toBe(true);
    expect(text(bytes)).not.toContain('\\u');
  });

  it('does not depend on property order, and survives a JSON round trip', () => {
    const reordered = JSON.parse(
      '{"metadata":{"causationId":null,"correlationId":"c-1","actor":"ubnd-ba-ria-vung-tau"},' +
        '"data":{"parentId":"77","level":"district","name":"Thị xã Phú Mỹ","unitId":"747"},' +
        '"type":"ledger.unit-registered.v1","streamId":"unit:747","schemaVersion":1,"revision":0,' +
        '"recordedAt":"2024-01-09T08:00:00.000Z","position":42,"eventId":"0190a1b2-0000-7000-8000-000000000001"}',
    ) as RecordedEvent;
    expect(canonicalEventBytes(reordered)).toEqual(canonicalEventBytes(event));
    for (const e of ledgerEvents(30)) {
      expect(canonicalEventBytes(JSON.parse(JSON.stringify(e)) as RecordedEvent)).toEqual(
        canonicalEventBytes(e),
      );
    }
  });

  it('leaves out properties that are not part of the envelope', () => {
    const withExtra = { ...event, storeRowId: 7, _cached: true } as RecordedEvent;
    expect(canonicalEventBytes(withExtra)).toEqual(canonicalEventBytes(event));
  });

  it('commits to every field: changing any one changes the bytes', () => {
    const base = text(canonicalEventBytes(event));
    const changes: Partial<RecordedEvent>[] = [
      { eventId: '0190a1b2-0000-7000-8000-000000000002' },
      { type: 'ledger.unit-revised.v1' },
      { schemaVersion: 2 },
      { streamId: 'unit:748' },
      { revision: 1 },
      { position: 43 },
      { recordedAt: '2024-01-09T08:00:00.001Z' },
      { data: { ...(event.data as object), name: 'Thị xã Phú My' } },
      { metadata: { ...event.metadata, actor: 'someone-else' } },
    ];
    for (const change of changes) {
      expect(text(canonicalEventBytes({ ...event, ...change }))).not.toBe(base);
    }
  });

  it('refuses what is not a recorded event', () => {
    expect(() => canonicalEventBytes({ ...event, data: undefined })).toThrow(/data/);
    expect(() => canonicalEventBytes({ ...event, position: '42' } as unknown as RecordedEvent)).toThrow(
      /position/,
    );
    expect(() => canonicalEventBytes({ ...event, metadata: null } as unknown as RecordedEvent)).toThrow(
      /metadata/,
    );
    expect(() => canonicalEventBytes({ ...event, data: { v: Number.NaN } })).toThrow();
  });

  it('gives the leaf hash SHA-256(0x00 || bytes)', () => {
    expect(eventLeafHash(event)).toEqual(leafHash(canonicalEventBytes(event)));
  });

  it('eventLeafHashes requires positions in increasing order', () => {
    const events = ledgerEvents(6);
    expect(eventLeafHashes(events)).toHaveLength(6);
    const swapped = [events[0], events[2], events[1], ...events.slice(3)] as RecordedEvent[];
    expect(() => eventLeafHashes(swapped)).toThrow(RangeError);
    const duplicated = [...events, events[5] as RecordedEvent];
    expect(() => eventLeafHashes(duplicated)).toThrow(RangeError);
    // Continuing after a known position.
    expect(() => eventLeafHashes(events.slice(3), (events[3] as RecordedEvent).position)).toThrow(RangeError);
    expect(eventLeafHashes(events.slice(3), (events[2] as RecordedEvent).position)).toHaveLength(3);
  });
});

describe('canonicalJson: the fast path gives the library’s text, or its refusal', () => {
  /** The library's answer: the text, or that it throws. */
  const reference = (value: unknown): string => {
    try {
      const text = canonicalize(value);
      return text === undefined ? 'throws' : `text ${text}`;
    } catch {
      return 'throws';
    }
  };
  const ours = (value: unknown): string => {
    try {
      return `text ${canonicalJson(value)}`;
    } catch {
      return 'throws';
    }
  };

  it('on any JSON value, with any keys (integer-like, __proto__, lone surrogates, Vietnamese)', () => {
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '__proto__',
        '0',
        '1',
        '10',
        '01',
        '-1',
        '1.5',
        'Đánh giá',
        'Ủy ban',
        '\ud800',
        'toJSON',
      ),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double(),
        fc.integer(),
        fc.string({ unit: 'binary' }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => ours(value) === reference(value)),
      { numRuns: 3_000 },
    );
  });

  it('on what is not JSON: undefined members, functions, Dates, boxed values, BigInt, null prototypes, cycles', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const bare = Object.assign(Object.create(null), { b: 1, a: 2 });
    const values: unknown[] = [
      { a: undefined, b: 1 },
      [undefined, 1],
      { f: () => 1 },
      { d: new Date(0) },
      { n: Object(1), s: Object('x') },
      { big: 1n },
      bare,
      cycle,
      { toJSON: () => ({ z: 1, a: 2 }) },
      Number.NaN,
      undefined,
    ];
    for (const value of values) expect(ours(value)).toBe(reference(value));
  });

  it('on events read back from JSON, as the log holds them', () => {
    for (const event of ledgerEvents(200)) {
      const readBack = JSON.parse(JSON.stringify(event)) as RecordedEvent;
      expect(ours(readBack)).toBe(reference(readBack));
      expect(text(canonicalEventBytes(readBack))).toBe(canonicalize({ ...readBack }));
    }
  });
});
