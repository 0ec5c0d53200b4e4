/**
 * A real OpenID Provider for tests: `oidc-provider` (OpenID-certified) on an ephemeral
 * 127.0.0.1 port, issuing RFC 9068 access tokens (`typ: at+jwt`, ES256) to clients through the
 * client-credentials grant with a resource indicator. Tests of anything that authenticates
 * callers with OIDC can start one and get real tokens from it, instead of trusting tokens minted
 * by the code under test:
 *
 *     import { startOidcProvider } from '../../../packages/access/test/oidc-harness.ts';
 *
 *     const idp = await startOidcProvider({
 *       audience: 'https://ledger.test',
 *       clients: [{ clientId: 'reporting-job', clientSecret: 'a-long-test-secret' }],
 *     });
 *     const token = await idp.token('reporting-job', 'a-long-test-secret');
 *     // ... createOidcVerifier({ issuer: idp.issuer, audience: 'https://ledger.test' })
 *     await idp.stop();
 *
 * The provider keeps its state in memory (its development adapter: fine for tests, and it says so
 * on the console). Tokens carry `sub` = `client_id` = the client's id, `aud` = the audience, and
 * live `accessTokenTtlSeconds`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

export interface HarnessClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface StartOidcProviderOptions {
  /** The resource (API) the tokens are for: their `aud`. */
  readonly audience: string;
  /** Clients allowed the client-credentials grant, authenticating with client_secret_basic. */
  readonly clients: readonly HarnessClient[];
  /**
   * The provider's signing key: a private ES256 JWK with a `kid`. Default: a fresh one. Pass one to
   * share it between two providers (to isolate the issuer check), or to mint tokens "signed by the
   * provider" with claims or headers it would never issue.
   */
  readonly signingKey?: JWK;
  /** Lifetime of the access tokens; default 300 s. */
  readonly accessTokenTtlSeconds?: number;
  /** The port; default an ephemeral one. Pass a stopped provider's port to bring "the same" issuer back. */
  readonly port?: number;
}

export interface OidcProviderHarness {
  /** `http://127.0.0.1:<port>`: the issuer identifier, and where discovery is served. */
  readonly issuer: string;
  /** An access token for the client, from the provider's token endpoint; rejects if the provider refuses. */
  token(clientId: string, clientSecret: string): Promise<string>;
  /** Closes the server and its connections. */
  stop(): Promise<void>;
}

/** Starts a provider; see the module comment. */
export async function startOidcProvider(options: StartOidcProviderOptions): Promise<OidcProviderHarness> {
  const { audience } = options;
  const signingKey = options.signingKey ?? (await newSigningKey());
  const accessTokenTTL = options.accessTokenTtlSeconds ?? 300;

  // The issuer names the port, so the server listens before the provider exists.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'ES256' }] },
    cookies: { keys: ['oidc-harness-cookie-key'] },
    ttl: { ClientCredentials: accessTokenTTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new errors.InvalidTarget();
          return {
            scope: 'ledger',
            audience,
            accessTokenTTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  handle = provider.callback();

  return {
    issuer,
    async token(clientId, clientSecret) {
      // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
      const basic = Buffer.from(
        `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
      ).toString('base64');
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new Error(`token endpoint: HTTP ${response.status} ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A fresh private ES256 JWK with a `kid`, as `signingKey` takes it. */
export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `harness-${randomUUID()}`, alg: 'ES256' };
}
