import { describe, expect, it } from 'vitest';
import { parseEventBody } from '../src/events.ts';

const SCORE = 'ledger.score-computed.v1';
const score = (change: Record<string, unknown> = {}) => ({
  unitId: '26001',
  methodologyId: 'cchc-xa',
  methodologyVersion: 1,
  period: '2023-12',
  points: { 'ho-so-dung-han': 7.5, 'hai-long': 0 },
  groups: { 'cai-cach-thu-tuc': 7.5 },
  total: 7.5,
  indicatorsMet: 1,
  indicatorsTotal: 2,
  computedFrom: 42,
  ...change,
});
const issuesOf = (data: unknown) => {
  try {
    parseEventBody(SCORE, data);
  } catch (error) {
    return (error as { issues: { path: PropertyKey[]; expected?: string }[] }).issues.map(
      ({ path, expected }) => ({
        path,
        expected,
      }),
    );
  }
  throw new Error('the score was accepted');
};

describe("a score event's points and groups", () => {
  it('are read as recorded', () => {
    expect(parseEventBody(SCORE, score()).data).toEqual(score());
    expect(parseEventBody(SCORE, score({ points: {}, groups: {} })).data).toEqual(
      score({ points: {}, groups: {} }),
    );
  });

  it('refuse a value that is not a finite number, naming its key', () => {
    expect(issuesOf(score({ points: { 'ho-so-dung-han': '7.5', 'hai-long': 0 } }))).toEqual([
      { path: ['points', 'ho-so-dung-han'], expected: 'number' },
    ]);
    expect(issuesOf(score({ groups: { a: null, b: Number.POSITIVE_INFINITY } }))).toEqual([
      { path: ['groups', 'a'], expected: 'number' },
      { path: ['groups', 'b'], expected: 'number' },
    ]);
  });

  it('refuse anything but an object of numbers', () => {
    expect(issuesOf(score({ points: [7.5] }))).toEqual([{ path: ['points'], expected: 'record' }]);
    expect(issuesOf(score({ groups: null }))).toEqual([{ path: ['groups'], expected: 'record' }]);
    expect(issuesOf(score({ points: undefined }))).toEqual([{ path: ['points'], expected: 'record' }]);
  });
});
