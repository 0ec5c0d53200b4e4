import { z } from 'zod';
import { ProjectionStateSchema } from './api-schemas.ts';
import type { Operation } from './openapi.ts';

const Lagging = ProjectionStateSchema.extend({
  lagEvents: z
    .number()
    .min(0)
    .meta({ description: 'Positions between the checkpoint and the head of the log.' }),
  lagSeconds: z
    .number()
    .min(0)
    .meta({ description: 'How long the oldest event not yet applied has been in the log.' }),
});

/** The operations of opsRouter (ops.ts). */
export const OPS_OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/v1/ops/projections',
    summary: 'How far each projection and worker is behind the log',
    tag: 'ops',
    access: 'credential',
    responses: {
      200: {
        description: 'The head of the log and each follower’s state and lag',
        schema: z.looseObject({
          head: z.looseObject({ position: z.number().int().min(0), recordedAt: z.string().nullable() }),
          projections: z.array(Lagging),
        }),
      },
    },
  },
  {
    method: 'post',
    path: '/v1/ops/projections/:name/rebuild',
    summary: 'Rebuild a projection from the log while the old one serves',
    tag: 'ops',
    access: 'credential',
    params: z.looseObject({ name: z.string() }),
    responses: {
      202: {
        description: 'The rebuild started (or is running); follow it in GET /v1/ops/projections',
        schema: z.looseObject({ name: z.string(), rebuild: z.looseObject({ status: z.string() }) }),
      },
    },
    problems: [404, 409],
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Whether every follower of this process is live',
    tag: 'probes',
    access: 'open',
    responses: {
      200: {
        description: 'Ready',
        schema: z.looseObject({ status: z.literal('ready'), projections: z.array(ProjectionStateSchema) }),
      },
    },
    problems: [503],
  },
];
