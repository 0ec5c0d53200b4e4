import fc from 'fast-check';

/**
 * The values an attacker or a clumsy integrator sends: every Unicode edge, numbers at and past
 * every bound, names of inherited properties, and text that looks like something else.
 */
export const EDGE_STRINGS = [
  '',
  ' ',
  '\t',
  'x \ud800',
  '\udc00x',
  '\ud83d',
  'TP. Vũng Tàu'.normalize('NFD'),
  'Bà Rịa-Vũng Tàu',
  '\u0000',
  'TP.\u0007 Bà Rịa',
  '\u001b[2J\u001b[H',
  'H. Côn Đảo\u202e',
  '\u2066H. Châu Đức\u2069',
  '\u200b\u200b\u200b',
  '\u200dx\u200c',
  '\ufeffH. Long Điền',
  'H. Long\ufeffĐiền',
  '\u3164',
  'ㅤ',
  '\u00ad',
  '\u2028',
  '\ue000',
  '\u{e0001}\u{e0041}',
  '😀',
  '𠀀𠀁',
  'e\u0301\u0301\u0301',
  '=HYPERLINK("http://example.invalid")',
  '+cmd|calc',
  '@SUM(1)',
  '-1',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  'NaN',
  '1e308',
  '2023-02-30',
  '2023-13',
  '2023-Q5',
  '0000',
  '9999-12',
  'x'.repeat(201),
  'đ'.repeat(2001),
  'line 1\nline 2',
  'line 1\r\nline 2',
  '   trimmed   ',
  'a  b   c',
];

export const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  5e-324,
  -5e-324,
  1e-300,
  99.999,
  100,
  100.0001,
  1e6,
  1e6 + 1,
  1e15,
  1e15 + 2,
  -1e15,
  2 ** 53,
  -(2 ** 53),
  1e21,
  1e300,
  1e308,
  -1e308,
  Number.MAX_VALUE,
];

/** A string: an edge, a mutation of one, or arbitrary text of any code points (lone surrogates included). */
export const anyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...EDGE_STRINGS), weight: 5 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...EDGE_STRINGS), fc.constantFrom(...EDGE_STRINGS))
        .map(([a, b]) => `${a}${b}`),
      weight: 1,
    },
  );

export const anyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...EDGE_NUMBERS), weight: 4 },
    { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 2 },
    { arbitrary: fc.integer(), weight: 1 },
  );

/** Any JSON value, objects with odd keys among them. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...EDGE_STRINGS), fc.string()), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    }),
  );

/** A JSON text nested `depth` levels, as arrays or objects. */
export const nestedText = (depth: number, objects: boolean) =>
  objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
