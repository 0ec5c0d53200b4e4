import type { z } from 'zod';
import type { COMMANDS, Command } from './commands.ts';
import { giveGrant, issueApiKey, registerPrincipal, revokeApiKey, revokeGrant } from './decide-access.ts';
import { conflict, invalid, Rejection, unknownReference } from './errors.ts';
import type { LedgerEventBody } from './events.ts';
import { unitExistedDuring } from './facts.ts';
import { valueKey } from './keys.ts';
import type { Measure } from './model.ts';
import { LIMITS } from './numbers.ts';
import { periodRange } from './period.ts';
import { possibleTotal } from './scoring.ts';
import { streams } from './streams.ts';
import { type CurrentSubmission, revisionOf, type WriteState } from './write-state.ts';

/** One event to record, on one stream, expecting the stream to be at `expectedRevision` (-1: none). */
export interface Decision {
  readonly streamId: string;
  readonly expectedRevision: number;
  readonly event: LedgerEventBody;
  /** Set when the decision creates a submission. */
  readonly submissionId?: string;
  /** Set when the decision gives a grant (the id its revocation names). */
  readonly grantId?: string;
}

export interface DecideContext {
  /** A new UUIDv7; the domain draws no randomness of its own. */
  readonly newId: () => string;
  /** How a command names the submission it addresses: in the body (a batch) or in the URL. */
  readonly submissionAddressedBy?: 'body' | 'path';
  /**
   * The calendar day (YYYY-MM-DD, Asia/Ho_Chi_Minh) the write is recorded on: its requested
   * recordedAt's, or the clock's. A unit registered without validFrom exists from this day.
   */
  readonly today: string;
  /** The principal acting: access commands record it as who granted, issued or revoked. */
  readonly actor?: string;
}

type Body<T extends keyof typeof COMMANDS> = z.infer<(typeof COMMANDS)[T]>;

/** Decides what a valid command records, or throws a Rejection. Pure. */
export function decide(command: Command, state: WriteState, ctx: DecideContext): Decision {
  switch (command.type) {
    case 'unit':
      return registerUnit(command.body, state, ctx);
    case 'unit-revision':
      return reviseUnit(command.body, state);
    case 'indicator':
      return defineIndicator(command.body, state);
    case 'methodology':
      return publishMethodology(command.body, state);
    case 'target':
      return setTarget(command.body, state);
    case 'submission':
      return submitValue(command.body, state, ctx);
    case 'correction':
      return correctValue(command.body, state, ctx);
    case 'retraction':
      return retractSubmission(command.body, state, ctx);
    case 'principal':
      return registerPrincipal(command.body, state);
    case 'grant':
      return giveGrant(command.body, state, ctx);
    case 'grant-revocation':
      return revokeGrant(command.body, state, ctx);
    case 'api-key':
      return issueApiKey(command.body, state, ctx);
    case 'api-key-revocation':
      return revokeApiKey(command.body, state, ctx);
  }
}

function expect(state: WriteState, streamId: string, expected: number | undefined, what: string): number {
  const actual = revisionOf(state, streamId);
  if (expected !== undefined && expected !== actual)
    throw conflict('expectedRevision', `${what} is at revision ${actual}, not ${expected}`);
  return actual;
}

function requireUnit(state: WriteState, unitId: string, path: string) {
  const unit = state.units.get(unitId);
  if (!unit) throw unknownReference(path, `unknown unit: ${unitId}`);
  return unit;
}

function requireIndicator(state: WriteState, code: string, path: string) {
  const indicator = state.indicators.get(code);
  if (!indicator) throw unknownReference(path, `unknown indicator: ${code}`);
  return indicator;
}

function checkDates(validFrom: string | null | undefined, validTo: string | null | undefined) {
  if (validFrom && validTo && validTo < validFrom)
    throw invalid('validTo', `must not be before validFrom (${validFrom})`);
}

/** A unit's parent must not be the unit itself or one of the units below it: the unit tree has no cycles. */
function checkParent(state: WriteState, unitId: string, parentId: string) {
  const seen = new Set<string>();
  for (let id: string | null = parentId; id !== null; id = state.units.get(id)?.parentId ?? null) {
    if (id === unitId)
      throw invalid(
        'parentId',
        `unit ${parentId} is ${unitId} itself or below it: the unit tree would have a cycle`,
      );
    if (seen.has(id)) return;
    seen.add(id);
  }
}

function registerUnit(body: Body<'unit'>, state: WriteState, ctx: DecideContext): Decision {
  const streamId = streams.unit(body.id);
  if (state.units.has(body.id))
    throw conflict('id', `unit ${body.id} is already registered; post a revision to change it`);
  const validFrom = body.validFrom ?? ctx.today;
  checkDates(validFrom, body.validTo);
  if (body.parentId) requireUnit(state, body.parentId, 'parentId');
  if (body.successorId) requireUnit(state, body.successorId, 'successorId');
  return {
    streamId,
    expectedRevision: revisionOf(state, streamId),
    event: {
      type: 'ledger.unit-registered.v1',
      data: {
        unitId: body.id,
        name: body.name,
        level: body.level,
        parentId: body.parentId ?? null,
        validFrom,
        validTo: body.validTo ?? null,
        successorId: body.successorId ?? null,
      },
    },
  };
}

function reviseUnit(body: Body<'unit-revision'>, state: WriteState): Decision {
  const unit = state.units.get(body.unitId);
  if (!unit) throw new Rejection('not-found', `unknown unit: ${body.unitId}`);
  const streamId = streams.unit(body.unitId);
  const expectedRevision = expect(state, streamId, body.expectedRevision, `unit ${body.unitId}`);
  const parentId = body.parentId === undefined ? unit.parentId : body.parentId;
  const successorId = body.successorId === undefined ? unit.successorId : body.successorId;
  const validTo = body.validTo === undefined ? unit.validTo : body.validTo;
  if (parentId) requireUnit(state, parentId, 'parentId');
  if (parentId) checkParent(state, body.unitId, parentId);
  if (successorId) requireUnit(state, successorId, 'successorId');
  if (successorId === body.unitId) throw invalid('successorId', 'a unit cannot be its own successor');
  checkDates(unit.validFrom, validTo);
  return {
    streamId,
    expectedRevision,
    event: {
      type: 'ledger.unit-revised.v1',
      data: {
        unitId: body.unitId,
        effectiveFrom: body.effectiveFrom ?? null,
        name: body.name ?? unit.name,
        parentId,
        validTo,
        successorId,
      },
    },
  };
}

function defineIndicator(body: Body<'indicator'>, state: WriteState): Decision {
  const streamId = streams.indicator(body.code);
  const expectedRevision = expect(state, streamId, body.expectedRevision, `indicator ${body.code}`);
  const { expectedRevision: _, ...data } = body;
  const type = state.indicators.has(body.code)
    ? 'ledger.indicator-revised.v1'
    : 'ledger.indicator-defined.v1';
  return { streamId, expectedRevision, event: { type, data } };
}

function publishMethodology(body: Body<'methodology'>, state: WriteState): Decision {
  const streamId = streams.methodology(body.id);
  const expectedRevision = expect(state, streamId, body.expectedRevision, `methodology ${body.id}`);
  const seen = new Set<string>();
  const measures = body.indicators.map((item, i) => {
    if (seen.has(item.indicator))
      throw invalid(`indicators.${i}.indicator`, `indicator ${item.indicator} is listed twice`);
    seen.add(item.indicator);
    return requireIndicator(state, item.indicator, `indicators.${i}.indicator`).measure;
  });
  const total = possibleTotal(body.indicators, measures);
  if (!(total <= LIMITS.possibleTotal))
    throw invalid(
      'indicators',
      `the methodology could give up to ${total} points; at most ${LIMITS.possibleTotal} are allowed (a scaled rule counts its maxPoints, or its factor times the largest value its indicator can take)`,
    );
  const version = (state.methodologies.get(body.id)?.version ?? 0) + 1;
  return {
    streamId,
    expectedRevision,
    event: {
      type: 'ledger.methodology-published.v1',
      data: {
        methodologyId: body.id,
        version,
        name: body.name,
        level: body.level,
        appliesFrom: body.appliesFrom ?? null,
        indicators: body.indicators,
      },
    },
  };
}

function setTarget(body: Body<'target'>, state: WriteState): Decision {
  const indicator = requireIndicator(state, body.indicator, 'indicator');
  if (body.unitId !== undefined) requireUnit(state, body.unitId, 'unitId');
  checkValue(indicator.measure, body.value);
  const streamId = streams.target(body.indicator, body.period, body.unitId ?? null);
  return {
    streamId,
    expectedRevision: revisionOf(state, streamId),
    event: {
      type: 'ledger.target-set.v1',
      data: {
        indicator: body.indicator,
        period: body.period,
        unitId: body.unitId ?? null,
        value: body.value,
        authority: body.authority,
        reason: body.reason ?? null,
      },
    },
  };
}

/** Values must make sense for the indicator's measure. */
function checkValue(measure: Measure, value: number, path = 'value') {
  if (measure === 'percent' && (value < 0 || value > 100))
    throw invalid(path, 'a percentage must be between 0 and 100');
  if (measure === 'count' && (value < 0 || !Number.isInteger(value)))
    throw invalid(path, 'a count must be a whole number ≥ 0');
  if (measure === 'ratio' && value < 0) throw invalid(path, 'a ratio must be ≥ 0');
}

function submitValue(body: Body<'submission'>, state: WriteState, ctx: DecideContext): Decision {
  const unit = requireUnit(state, body.unitId, 'unitId');
  const indicator = requireIndicator(state, body.indicator, 'indicator');
  const { start, end } = periodRange(body.period);
  if (!unitExistedDuring(unit, start, end))
    throw unknownReference(
      'period',
      `unit ${unit.unitId} did not exist during ${body.period} (it exists ${unit.validFrom ? `from ${unit.validFrom}` : 'from the start'}${unit.validTo ? ` to ${unit.validTo}` : ''})`,
    );
  checkValue(indicator.measure, body.value);
  const active = state.active.get(valueKey(body.unitId, body.indicator, body.period));
  if (active)
    throw conflict(
      'period',
      `submission ${active} already holds this value for ${body.unitId}, ${body.indicator}, ${body.period}; correct or retract it instead`,
    );
  const streamId = streams.value(body.unitId, body.indicator, body.period);
  const submissionId = ctx.newId();
  return {
    streamId,
    expectedRevision: revisionOf(state, streamId),
    submissionId,
    event: {
      type: 'ledger.value-submitted.v1',
      data: {
        submissionId,
        unitId: body.unitId,
        indicator: body.indicator,
        period: body.period,
        value: body.value,
        source: body.source ?? null,
        reportedAt: body.reportedAt ?? null,
      },
    },
  };
}

function requireSubmission(state: WriteState, submissionId: string, ctx: DecideContext): CurrentSubmission {
  const submission = state.submissions.get(submissionId);
  if (submission) return submission;
  const message = `unknown submission: ${submissionId}`;
  throw ctx.submissionAddressedBy === 'path'
    ? new Rejection('not-found', message)
    : unknownReference('submissionId', message);
}

function correctValue(body: Body<'correction'>, state: WriteState, ctx: DecideContext): Decision {
  const s = requireSubmission(state, body.submissionId, ctx);
  if (s.retracted) throw conflict('submissionId', `submission ${s.submissionId} was retracted`);
  const streamId = streams.value(s.unitId, s.indicator, s.period);
  const expectedRevision = expect(state, streamId, body.expectedRevision, `submission ${s.submissionId}`);
  const indicator = requireIndicator(state, s.indicator, 'indicator');
  checkValue(indicator.measure, body.value);
  if (body.value === s.value) throw invalid('value', `the value in force is already ${s.value}`);
  const ref = { submissionId: s.submissionId, unitId: s.unitId, indicator: s.indicator, period: s.period };
  return {
    streamId,
    expectedRevision,
    event: {
      type: 'ledger.value-corrected.v1',
      data: { ...ref, value: body.value, previousValue: s.value, reason: body.reason },
    },
  };
}

function retractSubmission(body: Body<'retraction'>, state: WriteState, ctx: DecideContext): Decision {
  const s = requireSubmission(state, body.submissionId, ctx);
  if (s.retracted) throw conflict('submissionId', `submission ${s.submissionId} is already retracted`);
  const streamId = streams.value(s.unitId, s.indicator, s.period);
  return {
    streamId,
    expectedRevision: revisionOf(state, streamId),
    event: {
      type: 'ledger.submission-retracted.v1',
      data: {
        submissionId: s.submissionId,
        unitId: s.unitId,
        indicator: s.indicator,
        period: s.period,
        reason: body.reason,
      },
    },
  };
}
