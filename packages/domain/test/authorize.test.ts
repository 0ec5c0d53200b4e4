import { describe, expect, it } from 'vitest';
import { type Grant, inForce, type Role } from '../src/access.ts';
import { authorize, authorizeAction, authorizeImport, inScope } from '../src/authorize.ts';
import type { Command } from '../src/commands.ts';
import { Rejection } from '../src/errors.ts';
import { streams } from '../src/streams.ts';
import { createWriteState, evolveWriteState, type WriteState } from '../src/write-state.ts';

const DAY = '2025-06-15';

/** A write state with a province (77), two districts under it and a commune under the first. */
function tree(): WriteState {
  const state = createWriteState();
  const unit = (unitId: string, parentId: string | null) =>
    evolveWriteState(state, streams.unit(unitId), {
      type: 'ledger.unit-registered.v1',
      data: {
        unitId,
        name: unitId,
        level: 'district',
        parentId,
        validFrom: null,
        validTo: null,
        successorId: null,
      },
    });
  unit('77', null);
  unit('747', '77');
  unit('748', '77');
  unit('74701', '747');
  return state;
}

let grants = 0;
function grant(state: WriteState, principalId: string, role: Role, extra: Partial<Grant> = {}): Grant {
  if (!state.principals.has(principalId))
    evolveWriteState(state, streams.principal(principalId), {
      type: 'ledger.principal-registered.v1',
      data: { principalId, name: principalId, oidc: null },
    });
  const data = {
    grantId: `0190f0a0-0000-7000-8000-${String(++grants).padStart(12, '0')}`,
    principalId,
    role,
    unitId: null,
    validFrom: null,
    validTo: null,
    grantedBy: 'svc:owner',
    reason: null,
    ...extra,
  };
  evolveWriteState(state, streams.principal(principalId), { type: 'ledger.grant-given.v1', data });
  return { ...data, revoked: null };
}

const submission = (unitId: string): Command => ({
  type: 'submission',
  body: { unitId, indicator: 'on-time', period: '2024', value: 90 },
});

const refusal = (run: () => void): Rejection => {
  try {
    run();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('authorize', () => {
  it('holds a unit and every unit below it in the tree in force, and nothing beside it', () => {
    const state = tree();
    const g = grant(state, 'svc:int', 'integrator', { unitId: '747' });
    expect(['747', '74701'].map((u) => inScope(g, u, state.units))).toEqual([true, true]);
    expect(['748', '77', 'nowhere'].map((u) => inScope(g, u, state.units))).toEqual([false, false, false]);
    expect(inScope({ ...g, unitId: null }, '748', state.units)).toBe(true);
  });

  it('ends at a cycle in the parents instead of looping', () => {
    const looped = new Map([
      ['a', { parentId: 'b' }],
      ['b', { parentId: 'a' }],
    ]);
    const g = { ...grant(tree(), 'svc:x', 'integrator'), unitId: 'c' };
    expect(inScope(g, 'a', looped)).toBe(false);
  });

  it('counts a grant in force from its first day to its last, and never once revoked', () => {
    const g = { ...grant(tree(), 'svc:x', 'integrator'), validFrom: '2025-01-01', validTo: '2025-12-31' };
    expect(['2024-12-31', '2025-01-01', '2025-12-31', '2026-01-01'].map((d) => inForce(g, d))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(inForce({ ...g, revoked: { by: 'svc:owner', reason: null } }, DAY)).toBe(false);
  });

  it('judges a correction by the unit of the submission in the state, whatever the request says', () => {
    const state = tree();
    grant(state, 'svc:app', 'appraiser', { unitId: '748' });
    const submissionId = '0190f0a0-0000-7000-8000-00000000aaaa';
    evolveWriteState(state, streams.value('747', 'on-time', '2024'), {
      type: 'ledger.value-submitted.v1',
      data: {
        submissionId,
        unitId: '747',
        indicator: 'on-time',
        period: '2024',
        value: 90,
        source: null,
        reportedAt: null,
      },
    });
    const correction: Command = { type: 'correction', body: { submissionId, value: 80, reason: 'x' } };
    const refused = refusal(() => authorize('svc:app', correction, state, DAY));
    expect(refused.kind).toBe('forbidden');
    expect(refused.errors.map((e) => e.path)).toEqual(['submissionId']);
    grant(state, 'svc:app', 'appraiser', { unitId: '747' });
    expect(() => authorize('svc:app', correction, state, DAY)).not.toThrow();
  });

  it('refuses by default: an unknown principal, a grant of another role, one out of its days', () => {
    const state = tree();
    expect(refusal(() => authorize('svc:nobody', submission('747'), state, DAY)).kind).toBe('forbidden');
    grant(state, 'svc:app', 'appraiser');
    expect(refusal(() => authorize('svc:app', submission('747'), state, DAY)).kind).toBe('forbidden');
    grant(state, 'svc:old', 'integrator', { validTo: '2025-01-01' });
    expect(refusal(() => authorize('svc:old', submission('747'), state, DAY)).kind).toBe('forbidden');
  });

  it('needs the importer role, unscoped, to set recordedAt', () => {
    const state = tree();
    grant(state, 'svc:imp', 'importer', { unitId: '747' });
    expect(refusal(() => authorizeImport('svc:imp', state, DAY)).errors.map((e) => e.path)).toEqual([
      'recordedAt',
    ]);
    grant(state, 'svc:imp', 'importer');
    expect(() => authorizeImport('svc:imp', state, DAY)).not.toThrow();
  });

  it('lets the ops actions only to an unscoped grant of their roles', () => {
    const state = tree();
    grant(state, 'svc:aud', 'auditor', { unitId: '747' });
    expect(refusal(() => authorizeAction(state.principals.get('svc:aud'), 'ops-read', DAY)).kind).toBe(
      'forbidden',
    );
    grant(state, 'svc:aud', 'auditor');
    const auditor = state.principals.get('svc:aud');
    expect(() => authorizeAction(auditor, 'ops-read', DAY)).not.toThrow();
    expect(() => authorizeAction(auditor, 'verify-replay', DAY)).not.toThrow();
    expect(refusal(() => authorizeAction(auditor, 'rebuild', DAY)).kind).toBe('forbidden');
  });

  it('gives an access admin principals and grants, and no other write', () => {
    const state = tree();
    grant(state, 'svc:acc', 'access-admin');
    const principal: Command = { type: 'principal', body: { id: 'svc:new', name: 'Mới' } };
    expect(() => authorize('svc:acc', principal, state, DAY)).not.toThrow();
    expect(refusal(() => authorize('svc:acc', submission('747'), state, DAY)).kind).toBe('forbidden');
  });
});

describe('four eyes', () => {
  it('refuses an access admin a grant to itself, and allows it one to another', () => {
    const state = tree();
    grant(state, 'svc:acc', 'access-admin');
    grant(state, 'svc:other', 'auditor');
    const to = (principalId: string): Command => ({
      type: 'grant',
      body: { principalId, role: 'integrator' },
    });
    const refused = refusal(() => authorize('svc:acc', to('svc:acc'), state, DAY));
    expect(refused.kind).toBe('forbidden');
    expect(refused.errors.map((e) => e.path)).toEqual(['principalId']);
    expect(() => authorize('svc:acc', to('svc:other'), state, DAY)).not.toThrow();
  });
});
