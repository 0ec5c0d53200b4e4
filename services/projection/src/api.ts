import { AsOfStamp, LogStampSchema, type Operation, RecordedEventSchema } from '@ledger/http';
import { z } from 'zod';
import {
  AsOfQuery,
  ConsistencyQuery,
  DiffQuery,
  EventsQuery,
  GrantsQuery,
  HistoryQuery,
  InclusionQuery,
  RankingQuery,
  RotationRequest,
  VerifyRequest,
} from './queries.ts';

/** The read API's and the transparency log's operations (routes.ts, log-routes.ts), for the OpenAPI document. */

const Points = z
  .record(z.string(), z.number())
  .meta({ description: 'Points by indicator code (or group name), rounded for display.' });
const Stamped = { ...AsOfStamp, log: LogStampSchema, requestedAsOf: z.string().optional() };
const EventRef = z.looseObject({
  eventId: z.uuid(),
  type: z.string(),
  position: z.number().int(),
  recordedAt: z.string(),
  actor: z.string(),
});

const RankingRow = z.looseObject({
  rank: z.number().int().min(1).meta({ description: 'Equal totals share a rank.' }),
  unitId: z.string(),
  unitName: z.string(),
  parentId: z.string().nullable(),
  total: z.number(),
  totalExact: z.number(),
  indicatorsMet: z.number().int(),
  indicatorsTotal: z.number().int(),
  groups: Points,
  points: Points,
});

export const Ranking = z
  .looseObject({
    ...Stamped,
    methodologyId: z.string(),
    methodologyVersion: z.number().int(),
    methodologyName: z.string(),
    methodologyAppliesFrom: z.string().nullable().optional(),
    level: z.string(),
    period: z.string(),
    parentId: z.string().nullable(),
    rows: z.array(RankingRow),
  })
  .meta({ id: 'Ranking' });

const DiffSide = z.looseObject({ ...Stamped, methodologyVersion: z.number().int().nullable() });
const Diff = z.looseObject({
  sealed: z.boolean(),
  methodologyId: z.string(),
  period: z.string(),
  parentId: z.string().nullable(),
  from: DiffSide,
  to: DiffSide,
  changes: z.array(
    z.looseObject({
      unitId: z.string(),
      unitName: z.string(),
      rankFrom: z.number().int().nullable(),
      rankTo: z.number().int().nullable(),
      totalFrom: z.number().nullable(),
      totalTo: z.number().nullable(),
      causes: z
        .array(RecordedEventSchema.nullable())
        .meta({ description: 'The events between the two dates that changed this unit’s inputs.' }),
    }),
  ),
});

const Scorecard = z.looseObject({
  ...Stamped,
  unitId: z.string(),
  unitName: z.string(),
  methodologyId: z.string(),
  methodologyVersion: z.number().int(),
  period: z.string(),
  rank: z.number().int().nullable(),
  of: z.number().int(),
  total: z.number(),
  totalExact: z.number(),
  indicatorsMet: z.number().int(),
  indicatorsTotal: z.number().int(),
  groups: Points,
  indicators: z.array(
    z.looseObject({
      indicator: z.string(),
      name: z.string(),
      group: z.string(),
      rule: z.looseObject({ kind: z.string() }),
      maxPoints: z.number(),
      direction: z.string(),
      value: z.number().nullable(),
      target: z
        .looseObject({
          value: z.number(),
          period: z.string(),
          unitId: z.string().nullable(),
          authority: z.string(),
          event: EventRef,
        })
        .nullable(),
      benchmark: z.number().nullable(),
      met: z.boolean().nullable().meta({ description: 'null: no value, or no target to meet' }),
      points: z.number(),
      pointsExact: z.number(),
      submission: z.looseObject({ submissionId: z.uuid(), event: EventRef }).nullable(),
      corrections: z.array(z.looseObject({ event: EventRef })),
    }),
  ),
});

const UnitName = z.looseObject({
  from: z.string().nullable(),
  name: z.string(),
  parentId: z.string().nullable(),
});
const Unit = z.looseObject({
  unitId: z.string(),
  level: z.string(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  successorId: z.string().nullable(),
  names: z.array(UnitName).meta({ description: 'Its names and parents over time, each from a day.' }),
});
const AsOfAnswer = { ...AsOfStamp, requestedAsOf: z.string().optional() };

const Grant = z.looseObject({
  principalId: z.string(),
  grantId: z.uuid(),
  role: z.string(),
  unitId: z.string().nullable(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  grantedBy: z.string(),
  reason: z.string().nullable(),
});

const SignedCheckpoint = z
  .looseObject({
    origin: z.string(),
    size: z.number().int(),
    root: z.string(),
    note: z.string().meta({ description: 'The C2SP signed note.' }),
  })
  .meta({ id: 'SignedCheckpoint' });

const read = (op: Omit<Operation, 'method' | 'access'>): Operation => ({
  method: 'get',
  access: 'read',
  ...op,
});
const ID = z.looseObject({ id: z.string() });

export const READ_OPERATIONS: readonly Operation[] = [
  read({
    path: '/v1/rankings/:methodologyId/:period',
    summary: 'A ranking as of an instant (default now) or a log position',
    tag: 'rankings',
    params: z.looseObject({ methodologyId: z.string(), period: z.string() }),
    query: RankingQuery,
    responses: { 200: { description: 'The ranking', schema: Ranking } },
    problems: [404, 503],
  }),
  read({
    path: '/v1/rankings/:methodologyId/:period/diff',
    summary: 'What changed in a ranking between two instants, and the events that caused it',
    tag: 'rankings',
    params: z.looseObject({ methodologyId: z.string(), period: z.string() }),
    query: DiffQuery,
    responses: { 200: { description: 'The changes', schema: Diff } },
    problems: [404, 503],
  }),
  read({
    path: '/v1/units/:unitId/scorecard/:methodologyId/:period',
    summary: 'A unit’s scorecard: each indicator’s value, target, points, and the events behind them',
    tag: 'rankings',
    params: z.looseObject({ unitId: z.string(), methodologyId: z.string(), period: z.string() }),
    query: AsOfQuery,
    responses: { 200: { description: 'The scorecard', schema: Scorecard } },
    problems: [404, 503],
  }),
  read({
    path: '/v1/units',
    summary: 'The units known as of an instant, in Vietnamese alphabetical order',
    tag: 'reference',
    query: AsOfQuery,
    responses: {
      200: {
        description: 'The units',
        schema: z.looseObject({
          ...AsOfAnswer,
          units: z.array(Unit.extend({ name: z.string(), parentId: z.string().nullable() })),
        }),
      },
    },
    problems: [503],
  }),
  read({
    path: '/v1/units/:id',
    summary: 'One unit as known as of an instant',
    tag: 'reference',
    params: ID,
    query: AsOfQuery,
    responses: { 200: { description: 'The unit', schema: Unit.extend(AsOfAnswer) } },
    problems: [404, 503],
  }),
  read({
    path: '/v1/indicators/:id',
    summary: 'One indicator as known as of an instant',
    tag: 'reference',
    params: ID,
    query: AsOfQuery,
    responses: {
      200: {
        description: 'The indicator',
        schema: z.looseObject({
          ...AsOfAnswer,
          code: z.string(),
          name: z.string(),
          measure: z.string(),
          direction: z.string(),
        }),
      },
    },
    problems: [404, 503],
  }),
  read({
    path: '/v1/methodologies/:id',
    summary: 'One methodology, in the version in force as of an instant',
    tag: 'reference',
    params: ID,
    query: AsOfQuery,
    responses: {
      200: {
        description: 'The methodology',
        schema: z.looseObject({
          ...AsOfAnswer,
          methodologyId: z.string(),
          version: z.number().int(),
          name: z.string(),
          level: z.string(),
          appliesFrom: z.string().nullable(),
          indicators: z.array(
            z.looseObject({
              indicator: z.string(),
              group: z.string(),
              maxPoints: z.number(),
              rule: z.looseObject({ kind: z.string() }),
            }),
          ),
        }),
      },
    },
    problems: [404, 503],
  }),
  read({
    path: '/v1/history',
    summary: 'Every event about one value: its submissions, corrections, retractions and targets',
    tag: 'audit',
    query: HistoryQuery,
    responses: {
      200: {
        description: 'The events, in log order',
        schema: z.looseObject({
          unitId: z.string(),
          indicator: z.string(),
          period: z.string(),
          events: z.array(RecordedEventSchema),
        }),
      },
    },
  }),
  read({
    path: '/v1/events',
    summary: 'The raw log in global order, a page at a time',
    tag: 'audit',
    query: EventsQuery,
    responses: {
      200: {
        description: 'A page of events and where the next one starts',
        schema: z.looseObject({ events: z.array(RecordedEventSchema), next: z.number().int() }),
      },
    },
  }),
  {
    method: 'get',
    path: '/v1/access/principals',
    summary: 'Every principal, with the roles of its grants in force today',
    tag: 'access',
    access: 'credential',
    responses: {
      200: {
        description: 'The principals',
        schema: z.looseObject({
          asOf: AsOfStamp.asOf,
          sealed: AsOfStamp.sealed,
          recordedAt: AsOfStamp.recordedAt,
          principals: z.array(
            z.looseObject({ principalId: z.string(), name: z.string(), roles: z.array(z.string()) }),
          ),
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/v1/access/grants',
    summary: 'The grants in force as of an instant, as the log stood then',
    tag: 'access',
    access: 'credential',
    query: GrantsQuery,
    responses: {
      200: {
        description: 'The grants',
        schema: z.looseObject({ ...AsOfAnswer, day: z.string(), grants: z.array(Grant) }),
      },
    },
  },
  {
    method: 'post',
    path: '/v1/ops/verify-replay',
    summary: 'Rebuild a ranking from the raw log in another process and compare it with what is served',
    tag: 'audit',
    access: 'credential',
    body: VerifyRequest,
    responses: {
      200: {
        description: 'Whether the served ranking equals the replay, and where they first differ',
        schema: z.looseObject({
          verified: z.boolean(),
          position: z.number().int().optional(),
          divergence: z.unknown().optional(),
          error: z.string().optional(),
        }),
      },
    },
    problems: [429, 503],
  },
];

const KeyStatement = z.looseObject({
  position: z.number().int(),
  recordedAt: z.string(),
  type: z.enum(['tlog.key-rotated.v1', 'tlog.key-loss-acknowledged.v1']),
  actor: z.string(),
  origin: z.string(),
  size: z.number().int(),
  root: z.string(),
  verifierKey: z.string(),
  previousKey: z.string().optional(),
  lostKey: z.string().optional(),
  reason: z.string().optional(),
  note: z.string(),
});

export const LOG_OPERATIONS: readonly Operation[] = [
  read({
    path: '/v1/log',
    summary: 'The transparency log: its size, root, verifier key and latest signed checkpoint',
    tag: 'log',
    responses: {
      200: {
        description: 'The log',
        schema: z.looseObject({
          size: z.number().int(),
          root: z.string(),
          verifierKey: z.string(),
          checkpoint: SignedCheckpoint.nullable(),
        }),
      },
    },
  }),
  read({
    path: '/v1/log/key',
    summary: 'The verifier key that signs now',
    tag: 'log',
    responses: { 200: { description: '<origin>+<key id>+<base64 key>', text: true } },
  }),
  read({
    path: '/v1/log/keys',
    summary: 'The key that signs now, and every key statement the log records',
    tag: 'log',
    responses: {
      200: {
        description: 'The statements, in log order',
        schema: z.looseObject({ verifierKey: z.string(), statements: z.array(KeyStatement) }),
      },
    },
  }),
  read({
    path: '/v1/log/checkpoint',
    summary: 'The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)',
    tag: 'log',
    responses: { 200: { description: 'The note', text: true } },
    problems: [404],
  }),
  read({
    path: '/v1/log/proofs/inclusion',
    summary: 'An RFC 9162 inclusion proof of the event at a position in the tree of a size',
    tag: 'log',
    query: InclusionQuery,
    responses: {
      200: {
        description: 'The proof, and the root of the tree of that size',
        schema: z.looseObject({
          position: z.number().int(),
          leafIndex: z.number().int(),
          treeSize: z.number().int(),
          leafHash: z.string(),
          auditPath: z.array(z.string()),
          root: z.string(),
        }),
      },
    },
    problems: [404],
  }),
  read({
    path: '/v1/log/proofs/consistency',
    summary: 'An RFC 9162 consistency proof between two tree sizes',
    tag: 'log',
    query: ConsistencyQuery,
    responses: {
      200: {
        description: 'The proof, and the roots of both trees',
        schema: z.looseObject({
          oldSize: z.number().int(),
          newSize: z.number().int(),
          proof: z.array(z.string()),
          oldRoot: z.string(),
          newRoot: z.string(),
        }),
      },
    },
  }),
  {
    method: 'post',
    path: '/v1/ops/log/checkpoint',
    summary: 'Sign a checkpoint covering every write acknowledged before the call',
    tag: 'log',
    access: 'credential',
    responses: {
      201: { description: 'Signed now', schema: SignedCheckpoint },
      200: {
        description: 'Nothing but checkpoints was added since the latest: that one',
        schema: SignedCheckpoint,
      },
    },
    problems: [503],
  },
  {
    method: 'post',
    path: '/v1/ops/log/key-rotation',
    summary: 'Rotate the log signing key: a statement signed by the current key and the next',
    tag: 'log',
    access: 'credential',
    body: RotationRequest,
    responses: {
      201: {
        description: 'Rotated',
        schema: z.looseObject({
          position: z.number().int(),
          size: z.number().int(),
          root: z.string(),
          previousKey: z.string(),
          verifierKey: z.string(),
          note: z.string(),
        }),
      },
    },
    problems: [503],
  },
];
