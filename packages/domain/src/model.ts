import { z } from 'zod';
import { CalendarDate, FiniteNumber, Identifier, Name } from './ids.ts';

/** Administrative levels a unit can sit at; a methodology ranks the units of one level. */
export const UnitLevel = z.enum(['national', 'province', 'ministry', 'department', 'district', 'commune']);
export type UnitLevel = z.infer<typeof UnitLevel>;

export const Measure = z.enum(['percent', 'count', 'ratio', 'score']);
export type Measure = z.infer<typeof Measure>;

export const Direction = z.enum(['higher-is-better', 'lower-is-better']);
export type Direction = z.infer<typeof Direction>;

/** How a methodology turns one indicator's value into points. The rules live in scoring.ts. */
export const Rule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scaled'), factor: FiniteNumber }),
  z.object({ kind: z.literal('attainment'), threshold: FiniteNumber.optional() }),
  z.object({ kind: z.literal('met') }),
]);
export type Rule = z.infer<typeof Rule>;

export const DEFAULT_GROUP = 'general';

export const MethodologyIndicator = z
  .object({
    indicator: Identifier,
    group: Name.default(DEFAULT_GROUP),
    maxPoints: z.number().positive().refine(Number.isFinite).optional(),
    rule: Rule,
  })
  .superRefine((item, ctx) => {
    if (item.rule.kind !== 'scaled' && item.maxPoints === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['maxPoints'],
        message: `is required by the ${item.rule.kind} rule`,
      });
    if (item.rule.kind === 'attainment' && item.rule.threshold !== undefined && item.rule.threshold <= 0)
      ctx.addIssue({ code: 'custom', path: ['rule', 'threshold'], message: 'must be greater than 0' });
  });
export type MethodologyIndicator = z.infer<typeof MethodologyIndicator>;

export const UnitFields = {
  name: Name,
  level: UnitLevel,
  parentId: Identifier.nullable(),
  validFrom: CalendarDate.nullable(),
  validTo: CalendarDate.nullable(),
};
