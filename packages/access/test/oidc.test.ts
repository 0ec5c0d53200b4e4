import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcVerifier, type OidcVerifier } from '../src/index.ts';
import { newSigningKey, type OidcProviderHarness, startOidcProvider } from './oidc-harness.ts';

const AUDIENCE = 'https://ledger.test';
const CLIENT = { clientId: 'reporting-job', clientSecret: 'a-long-test-secret-for-the-harness' };

let signingKey: JWK;
let idp: OidcProviderHarness;
/** Another provider with the same signing key: only the issuer tells its tokens apart. */
let twin: OidcProviderHarness;
let verifier: OidcVerifier;
let token: string;
let claims: JWTPayload;

beforeAll(async () => {
  signingKey = await newSigningKey();
  idp = await startOidcProvider({ audience: AUDIENCE, clients: [CLIENT], signingKey });
  twin = await startOidcProvider({ audience: AUDIENCE, clients: [CLIENT], signingKey });
  verifier = createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE });
  token = await idp.token(CLIENT.clientId, CLIENT.clientSecret);
  claims = decodeJwt(token);
});
afterAll(async () => {
  await idp?.stop();
  await twin?.stop();
});

/** A token signed with `key` (default: the provider's own key), with the header and claims given. */
async function mint(
  header: Record<string, unknown>,
  payload: JWTPayload,
  key: JWK = signingKey,
): Promise<string> {
  const alg = (header.alg as string | undefined) ?? 'ES256';
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: signingKey.kid, ...header })
    .sign(await importJWK(key, alg));
}

describe('the harness', () => {
  it('issues RFC 9068 access tokens: typ at+jwt, ES256, for the audience, to the client', () => {
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: signingKey.kid });
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: AUDIENCE,
      sub: CLIENT.clientId,
      client_id: CLIENT.clientId,
    });
    expect(typeof claims.exp).toBe('number');
  });

  it('refuses a client with the wrong secret', async () => {
    await expect(idp.token(CLIENT.clientId, 'wrong')).rejects.toThrow(/invalid_client/);
  });
});

describe('OIDC verifier: accepted', () => {
  it('a token from the provider: its issuer, subject and client, and when it expires', async () => {
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      issuer: idp.issuer,
      subject: CLIENT.clientId,
      clientId: CLIENT.clientId,
      expiresAt: (claims.exp as number) * 1000,
    });
  });

  it('the same claims re-signed by the provider key (the control for the refusals below)', async () => {
    expect((await verifier.verify(await mint({}, claims))).ok).toBe(true);
  });

  it('typ application/at+jwt', async () => {
    expect((await verifier.verify(await mint({ typ: 'application/at+jwt' }, claims))).ok).toBe(true);
  });

  it('a token without sub: client_id is the subject', async () => {
    const { sub: _sub, ...withoutSub } = claims;
    expect(await verifier.verify(await mint({}, withoutSub))).toMatchObject({
      ok: true,
      subject: CLIENT.clientId,
      clientId: CLIENT.clientId,
    });
  });

  it('within the clock tolerance after expiry (30 s by default)', async () => {
    const late = createOidcVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      now: () => (claims.exp as number) * 1000 + 29_000,
    });
    expect((await late.verify(token)).ok).toBe(true);
  });

  it('without reading role or permission claims: the answer is the identity only', async () => {
    const result = await verifier.verify(
      await mint({}, { ...claims, roles: ['admin'], scope: 'ledger:write' }),
    );
    expect(result.ok).toBe(true);
    expect(Object.keys(result).sort()).toEqual(['clientId', 'expiresAt', 'issuer', 'ok', 'subject']);
  });
});

describe('OIDC verifier: refused', () => {
  it('a token signed by another key that claims the provider key id', async () => {
    const forged = await mint({}, claims, await newSigningKey());
    expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('a token signed by another key under a key id the provider does not have', async () => {
    const other = await newSigningKey();
    const forged = await mint({ kid: other.kid }, claims, other);
    expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: 'unknown key' });
  });

  it('an expired token, past the tolerance', async () => {
    const later = createOidcVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      now: () => (claims.exp as number) * 1000 + 31_000,
    });
    expect(await later.verify(token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('an expired token with no tolerance', async () => {
    const strict = createOidcVerifier({
      issuer: idp.issuer,
      audience: AUDIENCE,
      clockToleranceSeconds: 0,
      now: () => (claims.exp as number) * 1000 + 1000,
    });
    expect(await strict.verify(token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('a token for another audience', async () => {
    const other = await mint({}, { ...claims, aud: 'https://other-api.test' });
    expect(await verifier.verify(other)).toMatchObject({ ok: false, reason: 'wrong audience' });
  });

  it('a real token checked by a verifier for another audience', async () => {
    const elsewhere = createOidcVerifier({ issuer: idp.issuer, audience: 'https://other-api.test' });
    expect(await elsewhere.verify(token)).toMatchObject({ ok: false, reason: 'wrong audience' });
  });

  it('a token whose typ is JWT (an ID token, say), or that has no typ', async () => {
    expect(await verifier.verify(await mint({ typ: 'JWT' }, claims))).toMatchObject({
      ok: false,
      reason: 'wrong type',
    });
    expect(await verifier.verify(await mint({ typ: undefined }, claims))).toMatchObject({
      ok: false,
      reason: 'wrong type',
    });
  });

  it('a token with alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const unsigned = `${header}.${base64url.encode(JSON.stringify(claims))}.`;
    expect(await verifier.verify(unsigned)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
  });

  it('a token with an algorithm outside the allow-list (HS256, keyed with the public key as a secret)', async () => {
    const { d: _d, ...publicJwk } = signingKey;
    const hmacKey = new TextEncoder().encode(JSON.stringify(publicJwk));
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(hmacKey);
    expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
  });

  it('a real token from another issuer, even one sharing the signing key', async () => {
    const fromTwin = await twin.token(CLIENT.clientId, CLIENT.clientSecret);
    expect(decodeJwt(fromTwin).iss).toBe(twin.issuer);
    expect(await verifier.verify(fromTwin)).toMatchObject({ ok: false, reason: 'wrong issuer' });
  });

  it('a real token from an unrelated provider', async () => {
    const stranger = await startOidcProvider({ audience: AUDIENCE, clients: [CLIENT] });
    try {
      const fromStranger = await stranger.token(CLIENT.clientId, CLIENT.clientSecret);
      expect((await verifier.verify(fromStranger)).ok).toBe(false);
    } finally {
      await stranger.stop();
    }
  });

  it('a token without exp', async () => {
    const { exp: _exp, ...forever } = claims;
    expect(await verifier.verify(await mint({}, forever))).toMatchObject({
      ok: false,
      reason: 'invalid claims',
    });
  });

  it('a token not yet valid', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 120;
    expect(await verifier.verify(await mint({}, { ...claims, nbf }))).toMatchObject({
      ok: false,
      reason: 'not yet valid',
    });
  });

  it('a token with neither sub nor client_id', async () => {
    const { sub: _sub, client_id: _clientId, ...nobody } = claims;
    expect(await verifier.verify(await mint({}, nobody))).toMatchObject({ ok: false, reason: 'no subject' });
  });

  it('text that is not a JWT', async () => {
    expect(await verifier.verify('not.a.jwt')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(await verifier.verify('')).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('OIDC verifier: discovery', () => {
  it('an issuer that cannot be reached refuses tokens instead of throwing', async () => {
    const down = createOidcVerifier({
      issuer: 'http://127.0.0.1:1',
      audience: AUDIENCE,
      fetchTimeoutMs: 2000,
    });
    expect(await down.verify(token)).toMatchObject({ ok: false, reason: 'issuer unavailable' });
  });

  it('refuses a discovery document that names another issuer', async () => {
    const misnamed = createOidcVerifier({ issuer: `${idp.issuer}/`, audience: AUDIENCE });
    const result = await misnamed.verify(token);
    expect(result).toMatchObject({ ok: false, reason: 'issuer unavailable' });
    expect(result.ok === false && result.detail).toMatch(/not http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('discovers on first use, not at creation, and tries again after a failed discovery', async () => {
    const first = await startOidcProvider({ audience: AUDIENCE, clients: [CLIENT], signingKey });
    const early = await first.token(CLIENT.clientId, CLIENT.clientSecret);
    const port = Number(new URL(first.issuer).port);
    await first.stop();

    const lazy = createOidcVerifier({ issuer: first.issuer, audience: AUDIENCE });
    expect(await lazy.verify(early)).toMatchObject({ ok: false, reason: 'issuer unavailable' });

    const back = await startOidcProvider({ audience: AUDIENCE, clients: [CLIENT], signingKey, port });
    try {
      expect(back.issuer).toBe(first.issuer);
      expect(await lazy.verify(early)).toMatchObject({
        ok: true,
        issuer: first.issuer,
        subject: CLIENT.clientId,
      });
    } finally {
      await back.stop();
    }
  });

  it('refuses plain http to another host, and symmetric or no algorithms, at creation', () => {
    expect(() => createOidcVerifier({ issuer: 'http://id.example.test', audience: AUDIENCE })).toThrow(
      /https/,
    );
    expect(() =>
      createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, algorithms: ['HS256'] }),
    ).toThrow(/asymmetric/);
    expect(() =>
      createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, algorithms: ['none'] }),
    ).toThrow(/asymmetric/);
    expect(() => createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, algorithms: [] })).toThrow(
      /asymmetric/,
    );
  });
});
