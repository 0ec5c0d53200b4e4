import type { Problem } from './problem.ts';

/**
 * What lands on the rejected topic (`ledger.commands.v1.rejected`) for a refused command, whether
 * it came as a Kafka record or over HTTP: the input, where it came from, who sent it and why it was
 * refused. The projection keeps them (its refusals journal), for `GET /v1/refusals`.
 */
export interface RejectedCommand {
  /** Unique per refusal: a redelivered record is kept once. */
  readonly refusalId?: string;
  /** A Kafka record's coordinates, or the HTTP request's method, path and request id. */
  readonly source:
    | { readonly topic: string; readonly partition?: number; readonly offset?: string }
    | { readonly http: { readonly method: string; readonly path: string; readonly requestId: string } };
  /** Who sent it, when a credential or topic says; null when no one could be told (a 401). */
  readonly principalId?: string | null;
  readonly key: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The refused input: the Kafka record, or the HTTP body (cut at REFUSED_INPUT_BYTES). */
  readonly record: unknown;
  readonly problem: Problem;
  readonly rejectedAt: string;
}

/** How much of a refused HTTP body a refusal keeps: enough to see what was sent, never megabytes. */
export const REFUSED_INPUT_BYTES = 4096;

/** The JSON text of a refused input, cut at REFUSED_INPUT_BYTES (on a character boundary). */
export function refusedInput(input: unknown): string | null {
  if (input === undefined) return null;
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text === undefined) return null;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= REFUSED_INPUT_BYTES) return text;
  // toString drops a partial last character as U+FFFD: cut before it.
  return `${bytes
    .subarray(0, REFUSED_INPUT_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}…`;
}

/** A Kafka record's coordinates, where a refusal is of one; throws for an HTTP request's. */
export function kafkaSource(r: RejectedCommand): { topic: string; partition?: number; offset?: string } {
  if ('http' in r.source) throw new TypeError('this refusal is of an HTTP request, not of a Kafka record');
  return r.source;
}
