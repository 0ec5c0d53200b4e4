import { z } from 'zod';
import { CalendarDate, FiniteNumber, Identifier, Name, Text } from './ids.ts';
import { Direction, Measure, MethodologyIndicator, UnitLevel } from './model.ts';
import { PeriodSchema } from './period.ts';

/** What integrators ask the ledger to record. Unknown fields are refused, to catch typos. */

const ExpectedRevision = z.number().int().min(-1).optional();

export const RegisterUnit = z.strictObject({
  id: Identifier,
  name: Name,
  level: UnitLevel,
  parentId: Identifier.nullable().optional(),
  validFrom: CalendarDate.nullable().optional(),
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
  indicators: z.array(MethodologyIndicator).min(1, 'must list at least one indicator'),
  expectedRevision: ExpectedRevision,
});

export const SetTarget = z.strictObject({
  indicator: Identifier,
  period: PeriodSchema,
  value: FiniteNumber,
  unitId: Identifier.optional(),
  authority: Name,
  reason: Text.optional(),
});

export const SubmitValue = z.strictObject({
  unitId: Identifier,
  indicator: Identifier,
  period: PeriodSchema,
  value: FiniteNumber,
  source: Text.optional(),
  reportedAt: z.iso.datetime({ offset: true }).optional(),
});

export const CorrectValue = z.strictObject({
  submissionId: z.uuid(),
  value: FiniteNumber,
  reason: Text,
  expectedRevision: ExpectedRevision,
});

export const RetractSubmission = z.strictObject({
  submissionId: z.uuid(),
  reason: Text,
});

export const COMMANDS = {
  unit: RegisterUnit,
  'unit-revision': ReviseUnit,
  indicator: DefineIndicator,
  methodology: PublishMethodology,
  target: SetTarget,
  submission: SubmitValue,
  correction: CorrectValue,
  retraction: RetractSubmission,
} as const;

export type CommandType = keyof typeof COMMANDS;
export type Command = { [T in CommandType]: { type: T; body: z.infer<(typeof COMMANDS)[T]> } }[CommandType];
export const COMMAND_TYPES = Object.keys(COMMANDS) as CommandType[];
