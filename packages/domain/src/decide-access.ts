import type { z } from 'zod';
import { identityKey, type PrincipalState } from './access.ts';
import type { COMMANDS } from './commands.ts';
import type { DecideContext, Decision } from './decide.ts';
import { conflict, invalid, Rejection, unknownReference } from './errors.ts';
import { streams } from './streams.ts';
import { revisionOf, type WriteState } from './write-state.ts';

type Body<T extends keyof typeof COMMANDS> = z.infer<(typeof COMMANDS)[T]>;

/** The principal acting, which the access events record as who granted, issued or revoked. */
function actorOf(ctx: DecideContext): string {
  if (!ctx.actor) throw new TypeError('an access command is decided with the acting principal');
  return ctx.actor;
}

function requirePrincipal(state: WriteState, principalId: string, path: string): PrincipalState {
  const principal = state.principals.get(principalId);
  if (!principal) throw unknownReference(path, `unknown principal: ${principalId}`);
  return principal;
}

const onStream = (state: WriteState, principalId: string) => {
  const streamId = streams.principal(principalId);
  return { streamId, expectedRevision: revisionOf(state, streamId) };
};

export function registerPrincipal(body: Body<'principal'>, state: WriteState): Decision {
  if (state.principals.has(body.id)) throw conflict('id', `principal ${body.id} is already registered`);
  const oidc = body.oidc ?? null;
  if (oidc) {
    const bound = state.identities.get(identityKey(oidc));
    if (bound) throw conflict('oidc', `this OIDC identity already acts as ${bound}`);
  }
  return {
    ...onStream(state, body.id),
    event: { type: 'ledger.principal-registered.v1', data: { principalId: body.id, name: body.name, oidc } },
  };
}

export function giveGrant(body: Body<'grant'>, state: WriteState, ctx: DecideContext): Decision {
  requirePrincipal(state, body.principalId, 'principalId');
  if (body.unitId !== undefined && !state.units.has(body.unitId))
    throw unknownReference('unitId', `unknown unit: ${body.unitId}`);
  if (body.validFrom && body.validTo && body.validTo < body.validFrom)
    throw invalid('validTo', 'must not be before validFrom');
  const grantId = ctx.newId();
  return {
    ...onStream(state, body.principalId),
    grantId,
    event: {
      type: 'ledger.grant-given.v1',
      data: {
        grantId,
        principalId: body.principalId,
        role: body.role,
        unitId: body.unitId ?? null,
        validFrom: body.validFrom ?? null,
        validTo: body.validTo ?? null,
        grantedBy: actorOf(ctx),
        reason: body.reason ?? null,
      },
    },
  };
}

export function revokeGrant(body: Body<'grant-revocation'>, state: WriteState, ctx: DecideContext): Decision {
  const principalId = state.grantOwners.get(body.grantId);
  const grant = principalId
    ? state.principals.get(principalId)?.grants.find((g) => g.grantId === body.grantId)
    : undefined;
  if (!principalId || !grant) throw new Rejection('not-found', `unknown grant: ${body.grantId}`);
  if (grant.revoked) throw conflict('grantId', `grant ${body.grantId} is already revoked`);
  return {
    ...onStream(state, principalId),
    event: {
      type: 'ledger.grant-revoked.v1',
      data: { grantId: body.grantId, principalId, revokedBy: actorOf(ctx), reason: body.reason ?? null },
    },
  };
}

export function issueApiKey(body: Body<'api-key'>, state: WriteState, ctx: DecideContext): Decision {
  requirePrincipal(state, body.principalId, 'principalId');
  if (state.keyOwners.has(body.keyId)) throw conflict('keyId', `key ${body.keyId} was issued before`);
  return {
    ...onStream(state, body.principalId),
    event: {
      type: 'ledger.api-key-issued.v1',
      data: {
        keyId: body.keyId,
        principalId: body.principalId,
        expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
        issuedBy: actorOf(ctx),
      },
    },
  };
}

export function revokeApiKey(
  body: Body<'api-key-revocation'>,
  state: WriteState,
  ctx: DecideContext,
): Decision {
  const principalId = state.keyOwners.get(body.keyId);
  const key = principalId
    ? state.principals.get(principalId)?.keys.find((k) => k.keyId === body.keyId)
    : undefined;
  if (!principalId || !key) throw new Rejection('not-found', `unknown key: ${body.keyId}`);
  if (key.revoked) throw conflict('keyId', `key ${body.keyId} is already revoked`);
  return {
    ...onStream(state, principalId),
    event: {
      type: 'ledger.api-key-revoked.v1',
      data: { keyId: body.keyId, principalId, revokedBy: actorOf(ctx), reason: body.reason ?? null },
    },
  };
}
