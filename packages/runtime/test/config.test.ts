import { ConfigError, loadConfig } from '@ledger/http';
import { describe, expect, it } from 'vitest';
import { serviceConfig } from '../src/config.ts';

const split = { LEDGER_BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092' };
const load = (env: Record<string, string>) => loadConfig(serviceConfig(8081), env);
const message = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
};

describe('a split service’s access settings', () => {
  it('refuses to start with no way to authenticate its callers, naming the setting', () => {
    expect(message(split)).toMatch(/LEDGER_CREDENTIALS=.*is required \(or LEDGER_OIDC_ISSUER\)/);
  });

  it('starts with a credential store, or with an issuer and its audience, or with LEDGER_AUTH=off', () => {
    expect(load({ ...split, LEDGER_CREDENTIALS: '/tmp/c.sqlite' }).LEDGER_AUTH).toBe(true);
    const oidc = load({
      ...split,
      LEDGER_OIDC_ISSUER: 'https://id.example.gov.vn',
      LEDGER_OIDC_AUDIENCE: 'ledger',
    });
    expect(oidc.LEDGER_OIDC_ISSUER).toBe('https://id.example.gov.vn');
    expect(load({ ...split, LEDGER_AUTH: 'off' }).LEDGER_AUTH).toBe(false);
  });

  it('refuses an issuer without an audience, and reads that are neither public nor authenticated', () => {
    expect(message({ ...split, LEDGER_OIDC_ISSUER: 'https://id.example.gov.vn' })).toMatch(
      /LEDGER_OIDC_AUDIENCE=.*is required with LEDGER_OIDC_ISSUER/,
    );
    expect(message({ ...split, LEDGER_CREDENTIALS: '/tmp/c', LEDGER_READS: 'open' })).toMatch(
      /LEDGER_READS="open"/,
    );
  });

  it('refuses a commands-topic principal that is no principal id', () => {
    expect(
      message({
        ...split,
        LEDGER_CREDENTIALS: '/tmp/c',
        LEDGER_KAFKA_COMMANDS_PRINCIPAL: 'so@noi-vu.gov.vn',
      }),
    ).toMatch(/LEDGER_KAFKA_COMMANDS_PRINCIPAL=/);
  });
});
