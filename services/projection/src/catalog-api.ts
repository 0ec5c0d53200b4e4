import { AsOfStamp, type Operation, ProblemSchema } from '@ledger/http';
import { z } from 'zod';
import { AsOfQuery, ChangesQuery, CoverageQuery, PeriodsQuery, PrincipalPageQuery } from './queries.ts';

/** The lists and principal reads of catalog-routes.ts and principal-routes.ts, for the OpenAPI document. */

const Stamped = { ...AsOfStamp, requestedAsOf: z.string().optional() };
const MethodologyVersion = z.looseObject({
  methodologyId: z.string(),
  version: z.number().int(),
  name: z.string(),
  level: z.string(),
  appliesFrom: z.string().nullable(),
  indicators: z.array(z.looseObject({ indicator: z.string(), group: z.string(), maxPoints: z.number() })),
  position: z.number().int(),
  recordedAt: z.string(),
});
const Cell = z.looseObject({
  state: z.enum(['missing', 'submitted', 'corrected', 'retracted']),
  value: z.number().nullable(),
  position: z.number().int().nullable().meta({ description: 'The version that made it so.' }),
});
const periodParams = z.looseObject({ methodologyId: z.string(), period: z.string() });

export const CATALOG_OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/v1/methodologies',
    summary: 'Every methodology with its versions, as known as of an instant, in Vietnamese order',
    tag: 'reference',
    access: 'read',
    query: AsOfQuery,
    responses: {
      200: {
        description: 'The methodologies',
        schema: z.looseObject({
          ...Stamped,
          methodologies: z.array(
            z.looseObject({
              methodologyId: z.string(),
              name: z.string().meta({ description: 'The latest version’s.' }),
              level: z.string(),
              versions: z.array(MethodologyVersion),
            }),
          ),
        }),
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/v1/indicators',
    summary: 'Every indicator as known as of an instant, in Vietnamese order',
    tag: 'reference',
    access: 'read',
    query: AsOfQuery,
    responses: {
      200: {
        description: 'The indicators',
        schema: z.looseObject({
          ...Stamped,
          indicators: z.array(
            z.looseObject({
              indicatorId: z.string(),
              code: z.string(),
              name: z.string(),
              measure: z.string(),
              direction: z.string(),
            }),
          ),
        }),
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/v1/periods',
    summary: 'The periods that hold values (now), with the indicators that have values in each',
    tag: 'reference',
    access: 'read',
    query: PeriodsQuery,
    responses: {
      200: {
        description: 'The periods, ascending',
        schema: z.looseObject({
          ...Stamped,
          periods: z.array(
            z.looseObject({
              period: z.string(),
              granularity: z.enum(['year', 'quarter', 'month']),
              indicators: z.array(z.string()),
            }),
          ),
        }),
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/v1/rankings/:methodologyId/:period/changes',
    summary: 'The instants at which a ranking changed: some unit’s rank or total, or the methodology version',
    tag: 'rankings',
    access: 'read',
    params: periodParams,
    query: ChangesQuery,
    responses: {
      200: {
        description: 'The changes, oldest first (the newest 2,000 at most)',
        schema: z.looseObject({
          methodologyId: z.string(),
          period: z.string(),
          parentId: z.string().nullable(),
          changes: z.array(
            z.looseObject({
              recordedAt: z.string().meta({ description: 'As of this instant the change is in.' }),
              position: z.number().int(),
              unitsMoved: z.number().int(),
              methodologyVersion: z.number().int(),
            }),
          ),
          truncated: z.boolean().meta({ description: 'Whether older changes were left out.' }),
        }),
      },
    },
    problems: [404, 503],
  },
  {
    method: 'get',
    path: '/v1/coverage/:period',
    summary: 'Which values units have for a period: missing, submitted, corrected or retracted',
    tag: 'reference',
    access: 'read',
    params: z.looseObject({ period: z.string() }),
    query: CoverageQuery,
    responses: {
      200: {
        description: 'Units × indicators',
        schema: z.looseObject({
          ...Stamped,
          period: z.string(),
          parentId: z.string().nullable(),
          methodologyId: z.string().nullable(),
          indicators: z.array(z.string()),
          units: z.array(
            z.looseObject({
              unitId: z.string(),
              unitName: z.string(),
              parentId: z.string().nullable(),
              cells: z.record(z.string(), Cell),
            }),
          ),
        }),
      },
    },
    problems: [404, 503],
  },
  {
    method: 'get',
    path: '/v1/submissions',
    summary: 'The values a principal submitted, corrected or retracted, and where each stands now',
    tag: 'access',
    access: 'credential',
    query: PrincipalPageQuery,
    responses: {
      200: {
        description: 'A page of value events, in log order',
        schema: z.looseObject({
          principalId: z.string(),
          submissions: z.array(
            z.looseObject({
              position: z.number().int(),
              recordedAt: z.string(),
              eventId: z.string(),
              type: z.string(),
              unitId: z.string(),
              indicator: z.string(),
              period: z.string(),
              submissionId: z.string(),
              value: z.number().nullable(),
              reason: z.string().nullable(),
              state: z.enum(['in-force', 'corrected', 'retracted', 'superseded']),
            }),
          ),
          next: z.number().int(),
        }),
      },
    },
    problems: [503],
  },
  {
    method: 'get',
    path: '/v1/refusals',
    summary: 'The commands the ledger refused a principal, over HTTP and on Kafka',
    tag: 'access',
    access: 'credential',
    query: PrincipalPageQuery,
    responses: {
      200: {
        description: 'A page of refusals, oldest first (the journal keeps the newest 100,000)',
        schema: z.looseObject({
          principalId: z.string(),
          refusals: z.array(
            z.looseObject({
              id: z.number().int(),
              principalId: z.string().nullable(),
              refusedAt: z.string(),
              via: z.enum(['http', 'kafka']),
              request: z.looseObject({}),
              status: z.number().int(),
              problem: ProblemSchema,
              body: z.string().nullable().meta({ description: 'The refused input’s JSON, cut at 4 KiB.' }),
            }),
          ),
          next: z.number().int(),
        }),
      },
    },
    problems: [404],
  },
];
