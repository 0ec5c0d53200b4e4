import { z } from 'zod';
import { CalendarDate, Identifier } from './ids.ts';
import { Factor, FiniteNumber, MaxPoints, Threshold } from './numbers.ts';
import { Name, StoredName } from './text.ts';

/** Administrative levels a unit can sit at; a methodology ranks the units of one level. */
export const UnitLevel = z.enum(['national', 'province', 'ministry', 'department', 'district', 'commune']);
export type UnitLevel = z.infer<typeof UnitLevel>;

export const Measure = z.enum(['percent', 'count', 'ratio', 'score']);
export type Measure = z.infer<typeof Measure>;

export const Direction = z.enum(['higher-is-better', 'lower-is-better']);
export type Direction = z.infer<typeof Direction>;

export const DEFAULT_GROUP = 'general';

/**
 * How a methodology turns one indicator's value into points (the rules live in scoring.ts), built
 * twice from one shape: strict and bounded at the door, lenient in the log (see numbers.ts).
 */
function methodologyIndicator(door: boolean) {
  const object = door ? z.strictObject : z.object;
  const positive = door ? MaxPoints : FiniteNumber.refine((n) => n > 0, 'must be greater than 0');
  const rule = z.discriminatedUnion('kind', [
    object({ kind: z.literal('scaled'), factor: door ? Factor : FiniteNumber }),
    object({ kind: z.literal('attainment'), threshold: (door ? Threshold : FiniteNumber).optional() }),
    object({ kind: z.literal('met') }),
  ]);
  return object({
    indicator: Identifier,
    group: (door ? Name : StoredName).default(DEFAULT_GROUP),
    maxPoints: positive.optional(),
    rule,
  }).superRefine((item, ctx) => {
    if (item.rule.kind !== 'scaled' && item.maxPoints === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['maxPoints'],
        message: `is required by the ${item.rule.kind} rule`,
      });
    if (item.rule.kind === 'attainment' && item.rule.threshold !== undefined && item.rule.threshold <= 0)
      ctx.addIssue({ code: 'custom', path: ['rule', 'threshold'], message: 'must be greater than 0' });
  });
}

/** An indicator of a methodology as the log holds it. */
export const MethodologyIndicator = methodologyIndicator(false);
export type MethodologyIndicator = z.infer<typeof MethodologyIndicator>;
export type Rule = MethodologyIndicator['rule'];

/** An indicator of a methodology as an integrator publishes it. */
export const MethodologyIndicatorInput = methodologyIndicator(true);

export const UnitFields = {
  name: StoredName,
  level: UnitLevel,
  parentId: Identifier.nullable(),
  validFrom: CalendarDate.nullable(),
  validTo: CalendarDate.nullable(),
};
