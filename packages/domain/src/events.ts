import { z } from 'zod';
import { PrincipalId, RoleSchema } from './access.ts';
import { CalendarDate, Identifier } from './ids.ts';
import { Direction, Measure, MethodologyIndicator, UnitFields } from './model.ts';
import { FiniteNumber } from './numbers.ts';
import { PeriodSchema } from './period.ts';
import { StoredName as Name, StoredText as Text } from './text.ts';

/**
 * The ledger's events. Each has a versioned type name and a schemaVersion; a change to the
 * shape of an event is a new version, never an edit of an old one.
 *
 * These schemas are what every reader of the log accepts: the store checks each event against its
 * schema before appending it (event-store rules), and every fold checks it again. They are never
 * stricter than what an earlier version wrote; the door's stricter rules are in commands.ts.
 */
const event = <T extends string, S extends z.ZodType>(type: T, schemaVersion: number, data: S) => ({
  type,
  schemaVersion,
  data,
});

export const UnitRegistered = event(
  'ledger.unit-registered.v1',
  1,
  z.object({ unitId: Identifier, ...UnitFields, successorId: Identifier.nullable() }),
);

/** A rename or move takes effect from `effectiveFrom` (valid time), so earlier periods keep the
 *  old name; `validTo` abolishes the unit and `successorId` names the unit it was merged into. */
export const UnitRevised = event(
  'ledger.unit-revised.v1',
  1,
  z.object({
    unitId: Identifier,
    effectiveFrom: CalendarDate.nullable(),
    name: Name,
    parentId: Identifier.nullable(),
    validTo: CalendarDate.nullable(),
    successorId: Identifier.nullable(),
  }),
);

const IndicatorData = z.object({ code: Identifier, name: Name, measure: Measure, direction: Direction });
export const IndicatorDefined = event('ledger.indicator-defined.v1', 1, IndicatorData);
export const IndicatorRevised = event('ledger.indicator-revised.v1', 1, IndicatorData);

export const MethodologyPublished = event(
  'ledger.methodology-published.v1',
  1,
  z.object({
    methodologyId: Identifier,
    version: z.number().int().positive(),
    name: Name,
    level: UnitFields.level,
    /** The first period this version scores; null: every period. */
    appliesFrom: PeriodSchema.nullable(),
    indicators: z.array(MethodologyIndicator).min(1),
  }),
);

/** Sets or changes a target; without a unit it applies to every unit. */
export const TargetSet = event(
  'ledger.target-set.v1',
  1,
  z.object({
    indicator: Identifier,
    period: PeriodSchema,
    unitId: Identifier.nullable(),
    value: FiniteNumber,
    authority: Name,
    reason: Text.nullable(),
  }),
);

export const ValueSubmitted = event(
  'ledger.value-submitted.v1',
  1,
  z.object({
    submissionId: z.uuid(),
    unitId: Identifier,
    indicator: Identifier,
    period: PeriodSchema,
    value: FiniteNumber,
    source: Text.nullable(),
    reportedAt: z.iso.datetime({ offset: true }).nullable(),
  }),
);

const SubmissionRef = {
  submissionId: z.uuid(),
  unitId: Identifier,
  indicator: Identifier,
  period: PeriodSchema,
};

export const ValueCorrected = event(
  'ledger.value-corrected.v1',
  1,
  z.object({ ...SubmissionRef, value: FiniteNumber, previousValue: FiniteNumber, reason: Text }),
);

export const SubmissionRetracted = event(
  'ledger.submission-retracted.v1',
  1,
  z.object({ ...SubmissionRef, reason: Text }),
);

/**
 * Finite numbers by name: a score's points per indicator and per group. Checked here rather than
 * with z.record, which runs a schema for every key and every value (five times slower), because
 * every score event is checked again by every fold of the log, and a third of the log is scores.
 */
const NumbersByName = z.custom<Record<string, number>>().check((payload) => {
  const value: unknown = payload.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    payload.issues.push({ code: 'invalid_type', expected: 'record', input: value });
    return;
  }
  for (const key in value) {
    const n = (value as Record<string, unknown>)[key];
    if (typeof n !== 'number' || !Number.isFinite(n))
      payload.issues.push({ code: 'invalid_type', expected: 'number', input: n, path: [key] });
  }
});

/** A unit's score as the scoring service computed it from the log up to `computedFrom`. */
export const ScoreComputed = event(
  'ledger.score-computed.v1',
  1,
  z.object({
    unitId: Identifier,
    methodologyId: Identifier,
    methodologyVersion: z.number().int().positive(),
    period: PeriodSchema,
    points: NumbersByName,
    groups: NumbersByName,
    total: FiniteNumber,
    indicatorsMet: z.number().int().nonnegative(),
    indicatorsTotal: z.number().int().nonnegative(),
    computedFrom: z.number().int().nonnegative(),
  }),
);

/**
 * The ledger is sealed: from here on every write is recorded at the ledger's clock and a requested
 * recordedAt is refused (time.ts). Recorded once, on the stream `ledger:seal`.
 */
export const LedgerSealed = event('ledger.ledger-sealed.v1', 1, z.object({ reason: Text.nullable() }));

/** A principal: who may act on the ledger, once granted (access.ts). Recorded on `principal:<id>`. */
export const PrincipalRegistered = event(
  'ledger.principal-registered.v1',
  1,
  z.object({
    principalId: PrincipalId,
    name: Name,
    /** The OIDC identity (issuer and subject or client_id) whose access tokens act as this principal. */
    oidc: z.object({ issuer: z.string().min(1), subject: z.string().min(1) }).nullable(),
  }),
);

export const GrantGiven = event(
  'ledger.grant-given.v1',
  1,
  z.object({
    grantId: z.uuid(),
    principalId: PrincipalId,
    role: RoleSchema,
    unitId: Identifier.nullable(),
    validFrom: CalendarDate.nullable(),
    validTo: CalendarDate.nullable(),
    grantedBy: z.string().min(1),
    reason: Text.nullable(),
  }),
);

export const GrantRevoked = event(
  'ledger.grant-revoked.v1',
  1,
  z.object({
    grantId: z.uuid(),
    principalId: PrincipalId,
    revokedBy: z.string().min(1),
    reason: Text.nullable(),
  }),
);

/** An API key was issued: its id and expiry. Its secret's digest is kept outside the log (packages/access). */
export const ApiKeyIssued = event(
  'ledger.api-key-issued.v1',
  1,
  z.object({
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    principalId: PrincipalId,
    expiresAt: z.iso.datetime({ offset: true }).nullable(),
    issuedBy: z.string().min(1),
  }),
);

export const ApiKeyRevoked = event(
  'ledger.api-key-revoked.v1',
  1,
  z.object({
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    principalId: PrincipalId,
    revokedBy: z.string().min(1),
    reason: Text.nullable(),
  }),
);

export const LEDGER_EVENTS = [
  UnitRegistered,
  UnitRevised,
  IndicatorDefined,
  IndicatorRevised,
  MethodologyPublished,
  TargetSet,
  ValueSubmitted,
  ValueCorrected,
  SubmissionRetracted,
  ScoreComputed,
  LedgerSealed,
  PrincipalRegistered,
  GrantGiven,
  GrantRevoked,
  ApiKeyIssued,
  ApiKeyRevoked,
] as const;

type Def = (typeof LEDGER_EVENTS)[number];
export type LedgerEventType = Def['type'];
export type EventData<T extends LedgerEventType> = z.infer<Extract<Def, { type: T }>['data']>;

/** A domain event before the ledger records it: type and data. */
export type LedgerEventBody = { [T in LedgerEventType]: { type: T; data: EventData<T> } }[LedgerEventType];

const byType = new Map<string, Def>(LEDGER_EVENTS.map((d) => [d.type, d]));

export const isLedgerEventType = (type: string): type is LedgerEventType => byType.has(type);

export const schemaVersionOf = (type: LedgerEventType): number => (byType.get(type) as Def).schemaVersion;

/** The data schema of a ledger event type. */
export const eventSchema = (type: LedgerEventType): z.ZodType => (byType.get(type) as Def).data;

/** Validates stored data against its event schema; throws a ZodError on a mismatch. */
export function parseEventBody(type: string, data: unknown): LedgerEventBody {
  const def = byType.get(type);
  if (!def) throw new TypeError(`unknown event type: ${type}`);
  return { type: def.type, data: def.data.parse(data) } as LedgerEventBody;
}
