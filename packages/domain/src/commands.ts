import { z } from 'zod';
import { PrincipalId, RoleSchema } from './access.ts';
import { CalendarDate, Identifier } from './ids.ts';
import { Direction, Measure, MethodologyIndicatorInput, UnitLevel } from './model.ts';
import { Amount, LIMITS } from './numbers.ts';
import { PeriodSchema } from './period.ts';
import { Name, Text } from './text.ts';

/**
 * What integrators ask the ledger to record: the door. Unknown fields are refused, to catch typos;
 * text and numbers are held to the rules of text.ts and numbers.ts.
 */

const ExpectedRevision = z.number().int().min(-1).optional();

export const RegisterUnit = z.strictObject({
  id: Identifier,
  name: Name,
  level: UnitLevel,
  parentId: Identifier.nullable().optional(),
  /** The unit's first day; without it, the day it is registered (decide.ts). */
  validFrom: CalendarDate.optional(),
  validTo: CalendarDate.nullable().optional(),
  successorId: Identifier.nullable().optional(),
});

export const ReviseUnit = z.strictObject({
  unitId: Identifier,
  name: Name.optional(),
  parentId: Identifier.nullable().optional(),
  effectiveFrom: CalendarDate.optional(),
  validTo: CalendarDate.nullable().optional(),
  successorId: Identifier.nullable().optional(),
  expectedRevision: ExpectedRevision,
});

export const DefineIndicator = z.strictObject({
  code: Identifier,
  name: Name,
  measure: Measure,
  direction: Direction,
  expectedRevision: ExpectedRevision,
});

export const PublishMethodology = z.strictObject({
  id: Identifier,
  name: Name,
  level: UnitLevel,
  appliesFrom: PeriodSchema.optional(),
  indicators: z
    .array(MethodologyIndicatorInput)
    .min(1, 'must list at least one indicator')
    .max(LIMITS.indicators, `must list at most ${LIMITS.indicators} indicators`),
  expectedRevision: ExpectedRevision,
});

export const SetTarget = z.strictObject({
  indicator: Identifier,
  period: PeriodSchema,
  value: Amount,
  unitId: Identifier.optional(),
  authority: Name,
  reason: Text.optional(),
});

export const SubmitValue = z.strictObject({
  unitId: Identifier,
  indicator: Identifier,
  period: PeriodSchema,
  value: Amount,
  source: Text.optional(),
  reportedAt: z.iso.datetime({ offset: true }).optional(),
});

export const CorrectValue = z.strictObject({
  submissionId: z.uuid(),
  value: Amount,
  reason: Text,
  expectedRevision: ExpectedRevision,
});

export const RetractSubmission = z.strictObject({
  submissionId: z.uuid(),
  reason: Text,
});

export const RegisterPrincipal = z.strictObject({
  id: PrincipalId,
  name: Name,
  /** The OIDC identity whose access tokens act as this principal: the issuer and the token's sub (or client_id). */
  oidc: z
    .strictObject({ issuer: z.url({ protocol: /^https?$/ }), subject: z.string().min(1).max(255) })
    .optional(),
});

export const GiveGrant = z.strictObject({
  principalId: PrincipalId,
  role: RoleSchema,
  unitId: Identifier.optional(),
  validFrom: CalendarDate.optional(),
  validTo: CalendarDate.optional(),
  reason: Text.optional(),
});

export const RevokeGrant = z.strictObject({ grantId: z.uuid(), reason: Text.optional() });

const KeyId = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits');

/** Records that the ledger issued a key (its secret is made and kept at the edge, never here). */
export const IssueApiKey = z.strictObject({
  keyId: KeyId,
  principalId: PrincipalId,
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export const RevokeApiKey = z.strictObject({ keyId: KeyId, reason: Text.optional() });

export const COMMANDS = {
  unit: RegisterUnit,
  'unit-revision': ReviseUnit,
  indicator: DefineIndicator,
  methodology: PublishMethodology,
  target: SetTarget,
  submission: SubmitValue,
  correction: CorrectValue,
  retraction: RetractSubmission,
  principal: RegisterPrincipal,
  grant: GiveGrant,
  'grant-revocation': RevokeGrant,
  'api-key': IssueApiKey,
  'api-key-revocation': RevokeApiKey,
} as const;

export type CommandType = keyof typeof COMMANDS;
export type Command = { [T in CommandType]: { type: T; body: z.infer<(typeof COMMANDS)[T]> } }[CommandType];
export const COMMAND_TYPES = Object.keys(COMMANDS) as CommandType[];

/** Whether a type a caller sent names a command: an own key of COMMANDS, never an inherited one. */
export const isCommandType = (type: unknown): type is CommandType =>
  typeof type === 'string' && Object.hasOwn(COMMANDS, type);

/** What an ops principal gives to seal the ledger (time.ts). */
export const SealLedger = z.strictObject({ reason: Text.optional() });
