import { describe, expect, it } from 'vitest';
import { AsOfSchema, parseAsOf, toRecordedAt } from '../src/instants.ts';

describe('parseAsOf', () => {
  it('Given a bare date, it means the end of that day in Asia/Ho_Chi_Minh (UTC+7)', () => {
    expect(parseAsOf('2024-01-31')).toBe(Date.parse('2024-01-31T23:59:59.999+07:00'));
    // … which is still the afternoon of the same day in UTC.
    expect(new Date(parseAsOf('2024-01-31') as number).toISOString()).toBe('2024-01-31T16:59:59.999Z');
  });

  it('accepts the last day of a leap-year February', () => {
    expect(parseAsOf('2024-02-29')).toBe(Date.parse('2024-02-29T23:59:59.999+07:00'));
  });

  it.each([
    ['2024-01-31T10:00:00Z', '2024-01-31T10:00:00.000Z'],
    ['2024-01-31T10:00:00.123Z', '2024-01-31T10:00:00.123Z'],
    ['2024-01-31T10:00:00+07:00', '2024-01-31T03:00:00.000Z'],
    ['2024-01-31T10:00:00-05:00', '2024-01-31T15:00:00.000Z'],
    ['2024-01-01T03:00:00+07:00', '2023-12-31T20:00:00.000Z'],
  ])('keeps the explicit offset of %s', (text, utc) => {
    expect(parseAsOf(text)).toBe(Date.parse(utc));
  });

  it.each([
    ['2024-01-31T10:00:00', '2024-01-31T10:00:00+07:00'],
    ['2024-01-31T10:00', '2024-01-31T10:00:00+07:00'],
    ['2024-01-31T10:00:00.5', '2024-01-31T10:00:00.500+07:00'],
    ['2024-01-01T03:00:00', '2023-12-31T20:00:00Z'],
  ])('reads %s, which has no offset, in UTC+7', (text, meant) => {
    expect(parseAsOf(text)).toBe(Date.parse(meant));
  });

  it.each([
    '2023-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-04-31',
    'yesterday',
    '2024-1-5',
    '2024/01/05',
    '',
    '2024-01-31T25:00:00Z',
    '2023-02-30T10:00:00+07:00',
    '2024-01-31 10:00:00',
  ])('Given %j, which is not an instant, it returns undefined', (text) => {
    expect(parseAsOf(text)).toBeUndefined();
  });

  it('AsOfSchema turns the text into epoch milliseconds, or reports an issue', () => {
    expect(AsOfSchema.parse('2024-01-31')).toBe(Date.parse('2024-01-31T23:59:59.999+07:00'));
    const bad = AsOfSchema.safeParse('2023-02-30');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/ISO-8601 date/);
  });

  it('toRecordedAt normalises an instant to UTC with milliseconds, and refuses what is not one', () => {
    expect(toRecordedAt('2024-01-31T10:00:00+07:00')).toBe('2024-01-31T03:00:00.000Z');
    for (const bad of [
      '2024-02-30T00:00:00Z',
      '2024-01-31T10:00Z',
      '2024-01-31T10:00:00',
      '2024-01-31',
      1706670000000,
    ])
      expect(toRecordedAt(bad), String(bad)).toBeUndefined();
  });
});
