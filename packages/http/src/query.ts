import { invalid } from '@ledger/domain';
import type { Request } from 'express';
import { z } from 'zod';
import { invalidInput } from './problem.ts';

/**
 * The query of a request, parsed by a strict schema: an unknown parameter is a 400 that names it
 * (and the parameter it was probably meant to be), so that a typo such as `asof` is never read as
 * "no parameter" and answered as of now.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, req: Request): z.infer<S> {
  const known = Object.keys(schema.shape);
  for (const name of Object.keys(req.query)) {
    if (known.includes(name)) continue;
    const meant = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw invalid(
      name,
      meant
        ? `unknown query parameter; did you mean ${meant}?`
        : known.length
          ? `unknown query parameter; this request takes ${known.join(', ')}`
          : 'unknown query parameter; this request takes none',
    );
  }
  const result = schema.safeParse(req.query);
  if (!result.success) throw invalidInput(result.error);
  return result.data;
}

/** The query of a request that takes none. */
export const NO_QUERY = z.object({});
