import { CliFailure, EXIT } from '../failure.ts';

export interface KeyChange {
  readonly position: number;
  readonly size: number;
  readonly previousKey: string;
  readonly verifierKey: string;
  readonly note: string;
}

/**
 * Asks the ledger at `server` to rotate its log signing key (`POST /v1/ops/log/key-rotation`). The
 * key lives with the server, so the rotation is the server's act; the CLI only asks, as a principal
 * with the ops role, whose credential (an API key or a bearer token) is LEDGER_CREDENTIAL.
 */
export async function rotateKey(options: {
  server: string | undefined;
  reason: string | undefined;
  env: NodeJS.ProcessEnv;
}): Promise<KeyChange> {
  if (!options.server) throw new CliFailure('rotate-key needs --server URL', EXIT.usage);
  const credential = options.env.LEDGER_CREDENTIAL?.trim();
  if (!credential)
    throw new CliFailure(
      'rotate-key needs the credential of a principal with ops in LEDGER_CREDENTIAL',
      EXIT.usage,
    );
  let url: URL;
  try {
    url = new URL('/v1/ops/log/key-rotation', options.server);
  } catch {
    throw new CliFailure(`--server ${options.server} is not a URL`, EXIT.usage);
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(options.reason === undefined ? {} : { reason: options.reason }),
  }).catch((error: Error) => {
    throw new CliFailure(
      `cannot reach ${url.origin}: ${error.cause instanceof Error ? error.cause.message : error.message}`,
    );
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 201) {
    const errors = Array.isArray(body.errors)
      ? `: ${(body.errors as { path: string; message: string }[]).map((e) => `${e.path}: ${e.message}`).join('; ')}`
      : '';
    throw new CliFailure(
      `refused (${response.status}): ${String(body.detail ?? body.title ?? response.statusText)}${errors}`,
    );
  }
  return body as unknown as KeyChange;
}
