import type { LedgerView } from '@ledger/domain';
import type { Request } from 'express';
import type { z } from 'zod';

/** What every read route shares (routes.ts makes it): freshness, the as-of view, and the answer's stamp. */
export interface Reads {
  /** Waits until the projection holds what the store held when the request came in, unless about a past it has passed. */
  fresh(about?: { asOf?: number | undefined; atPosition?: number | undefined }): Promise<void>;
  /** The instant an answer is given as of: the one asked for, or now (a future one answered as of now). */
  instant(asked: number | undefined): { ms: number; asOf: string; requestedAsOf?: string };
  /** The view as of the request's asOf or atPosition (default now), with its instant. */
  viewAsOf<S extends AsOfSchemaLike>(
    req: Request,
    schema: S,
  ): Promise<{ view: LedgerView; at: { asOf: string | null; requestedAsOf?: string }; query: z.infer<S> }>;
  /** What every as-of answer says of itself. */
  stamp(
    at: { asOf: string | null; requestedAsOf?: string },
    position: number,
  ): { asOf: string | null; sealed: boolean; recordedAt: string | null };
}

/** A query schema with the as-of parameters (queries.ts, AsOf) among others. */
export type AsOfSchemaLike = z.ZodObject<{ asOf: z.ZodType; atPosition: z.ZodType }>;
