import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildVerifier,
  runVerifier,
  type VerifierInput,
} from '../../../packages/transparency-log/test/go-verifier.ts';
import { SEED, submission } from './seed.ts';
import { ledgerCli, startTestLedger, type TestLedger } from './support.ts';

/**
 * The served bytes are the verified bytes: checkpoints and proofs as a running server serves them,
 * and as `ledger proof` prints them, handed unchanged to the reference verifier (interop/verify-go:
 * Go's sumdb/tlog and note, and transparency-dev's merkle and formats).
 */
describe('what the server serves, checked by the reference verifier', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    buildVerifier();
    ledger = await startTestLedger({ LEDGER_CHECKPOINT_INTERVAL: '0' });
    expect((await ledger.post('/v1/batch', SEED)).status).toBe(201);
  }, 300_000);
  afterAll(() => ledger?.dispose());

  it('accepts the served checkpoints and proofs, byte for byte, and the CLI’s', async () => {
    await ledger.settled();
    const first = await ledger.post('/v1/ops/log/checkpoint', {});
    expect(first.status).toBe(201);
    expect((await ledger.post('/v1/submissions', submission('747', 'on-time', 97).body)).status).toBe(201);
    await ledger.settled();
    const second = await ledger.post('/v1/ops/log/checkpoint', {});
    expect(second.status).toBe(201);
    const [older, newer] = [first.body.size as number, second.body.size as number];
    expect(newer).toBeGreaterThan(older);

    const text = async (path: string) => (await fetch(`${ledger.url}${path}`)).text();
    const served = async (path: string) => JSON.parse(await text(path)) as Record<string, unknown>;
    const events = (await ledger.get('/v1/events')).body.events as { position: number }[];
    const positions = [events[0], events[Math.floor(events.length / 2)], events.at(-1)]
      .filter((e) => e !== undefined && e.position <= newer)
      .map((e) => (e as { position: number }).position);
    const env = { LEDGER_DATA_DIR: ledger.dataDir };
    const cli = async (...args: string[]) => {
      const run = await ledgerCli(['proof', ...args], env);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    const inclusion = [
      ...(await Promise.all(
        positions.map((p) => served(`/v1/log/proofs/inclusion?position=${p}&size=${newer}`)),
      )),
      ...(await Promise.all(positions.map((p) => cli('--position', String(p), '--size', String(newer))))),
    ];
    const consistency = [
      await served(`/v1/log/proofs/consistency?from=${older}&to=${newer}`),
      await cli('--from', String(older), '--to', String(newer)),
    ];
    // The server's proof and the CLI's are one shape, and the same proof.
    expect(inclusion.slice(positions.length)).toEqual(inclusion.slice(0, positions.length));
    expect(consistency[1]).toEqual(consistency[0]);

    const input = {
      verifierKey: (await text('/v1/log/key')).trim(),
      checkpoints: [first.body.note, await text('/v1/log/checkpoint')],
      inclusion,
      consistency,
    } as unknown as VerifierInput;
    const run = runVerifier(input);
    expect(run.report.failures).toEqual([]);
    expect(run.report).toMatchObject({
      ok: true,
      inclusionVerified: inclusion.length,
      consistencyVerified: consistency.length,
    });
    expect(run.status).toBe(0);
  });
});
