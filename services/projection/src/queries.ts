import { AsOfSchema, Identifier, PeriodSchema, PrincipalId } from '@ledger/domain';
import { invalidInput } from '@ledger/http';
import { isStatementReason } from '@ledger/transparency-log';
import { z } from 'zod';

/** What the read API's requests may say (routes.ts validates with these; api.ts documents them). */

const AsOf = {
  asOf: AsOfSchema.optional().meta({
    description:
      'An ISO-8601 date or date-time; a bare date is the end of that day in Asia/Ho_Chi_Minh. Default: now.',
  }),
  /** For auditors: the ledger as of a log position rather than an instant. */
  atPosition: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'The ledger as of a log position rather than an instant (not with asOf).' }),
};
const oneOf = (q: { asOf?: unknown; atPosition?: unknown }) =>
  q.asOf === undefined || q.atPosition === undefined;
const either = { message: 'give asOf or atPosition, not both', path: ['atPosition'] };
export const AsOfQuery = z.object(AsOf).refine(oneOf, either);
export const RankingQuery = z
  .object({
    ...AsOf,
    parentId: Identifier.optional().meta({ description: 'Rank only this unit’s children.' }),
  })
  .refine(oneOf, either);

export const CoverageQuery = z
  .object({
    ...AsOf,
    parentId: Identifier.optional().meta({ description: 'Only this unit’s children.' }),
    methodologyId: Identifier.optional().meta({
      description: 'Only the units of its level and its indicators, in its order.',
    }),
  })
  .refine(oneOf, either);

export const PeriodsQuery = z.object({
  indicator: Identifier.optional().meta({
    description: 'Only the periods that hold values of this indicator.',
  }),
  methodologyId: Identifier.optional().meta({
    description: 'Only the periods that hold values of its indicators (any version).',
  }),
});

export const ChangesQuery = z.object({
  from: AsOfSchema.optional().meta({
    description: 'The earliest instant to look from. Default: the first event.',
  }),
  to: AsOfSchema.optional().meta({ description: 'The latest instant to look to. Default: now.' }),
  parentId: Identifier.optional().meta({ description: 'The ranking of this unit’s children.' }),
});

const Page = {
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ description: 'Answer what comes after this cursor (`next`).' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};
export const PrincipalPageQuery = z.object({
  principalId: PrincipalId.optional().meta({
    description: 'Whose; default the caller’s own. Another principal’s needs an ops or auditor grant.',
  }),
  ...Page,
});

export const GrantsQuery = z.object({ asOf: AsOfSchema.optional(), principalId: PrincipalId.optional() });
export const DiffQuery = z.object({
  from: AsOfSchema,
  to: AsOfSchema.optional(),
  parentId: Identifier.optional(),
});

export const VerifyRequest = z.strictObject({
  methodologyId: Identifier,
  period: PeriodSchema,
  asOf: z.string().optional(),
});

export const HistoryQuery = z.object({ unitId: Identifier, indicator: Identifier, period: PeriodSchema });

export const EventsQuery = z.object(Page);

/** A value parsed by a schema, or a 400 naming its fields. */
export const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error);
  return result.data;
};

const Size = z.coerce.number().int().min(0);
export const InclusionQuery = z.object({ position: Size.min(1), size: Size.optional() });
export const ConsistencyQuery = z.object({ from: Size, to: Size.optional() });

export const RotationRequest = z.strictObject({
  reason: z
    .string()
    .refine(isStatementReason, 'must be one line of at most 500 characters, without control characters')
    .optional(),
});
