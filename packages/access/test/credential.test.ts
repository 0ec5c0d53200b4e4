import { describe, expect, it } from 'vitest';
import { MAX_CREDENTIAL_LENGTH, newApiKey, readBearer } from '../src/index.ts';

const { key } = newApiKey();
const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('readBearer', () => {
  it('no header: none', () => {
    expect(readBearer(undefined)).toEqual({ kind: 'none' });
  });

  it('an ilk_ credential: an API key, whatever the case of the scheme', () => {
    expect(readBearer(`Bearer ${key}`)).toEqual({ kind: 'api-key', key });
    expect(readBearer(`bearer ${key}`)).toEqual({ kind: 'api-key', key });
    expect(readBearer(`BEARER ${key}`)).toEqual({ kind: 'api-key', key });
  });

  it('an ilk_ credential that is not a well-formed key is still an API key (its verifier says malformed)', () => {
    expect(readBearer('Bearer ilk_short')).toEqual({ kind: 'api-key', key: 'ilk_short' });
  });

  it('three dot-separated base64url parts: a JWT', () => {
    expect(readBearer(`Bearer ${jwt}`)).toEqual({ kind: 'jwt', token: jwt });
  });

  const malformed: [string, string][] = [
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['two spaces', `Bearer  ${key}`],
    ['a tab', `Bearer\t${key}`],
    ['a trailing space', `Bearer ${key} `],
    ['a leading space', ` Bearer ${key}`],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['no scheme', key],
    ['two JWT parts', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['four JWT parts', `${jwt}.eHg`],
    ['an empty JWT signature (alg none)', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['standard base64 in a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln+mF0/XJl'],
    ['an opaque token', 'Bearer 2YotnFZFEjr1zCsicMWpAA'],
    ['non-ASCII', 'Bearer ilk_đ'],
    ['two credentials', `Bearer ${key}, Bearer ${jwt}`],
    ['an over-long credential', `Bearer ${'a'.repeat(MAX_CREDENTIAL_LENGTH)}.b.c`],
  ];
  it.each(malformed)('%s: malformed', (_name, header) => {
    expect(readBearer(header)).toEqual({ kind: 'malformed' });
  });
});
