import { beforeAll, describe, expect, it } from 'vitest';
import {
  cosign,
  cosignatureKey,
  generateKey,
  openCheckpoint,
  openCosignatures,
  signCheckpoint,
  TransparencyLogError,
} from '../src/index.ts';
import { buildVerifier, cosignWithGo, runVerifier } from './go-verifier.ts';

const origin = 'ledger.example.gov.vn/indicators';
const log = generateKey(origin);
const witness = generateKey('witness.example.org/w1');
const note = signCheckpoint({ origin, size: 5, root: new Uint8Array(32).fill(9) }, log.signerKey);

/** C2SP tlog-cosignature: ours checked by Go's transparency-dev/formats, and Go's by ours. */
describe('witness cosignatures (cosignature/v1)', () => {
  beforeAll(() => buildVerifier(), 300_000);

  it('a cosignature of ours is one the reference implementation verifies, with either form of the witness key', () => {
    const cosigned = cosign(note, witness.signerKey, 1_750_000_000);
    expect(openCheckpoint(cosigned, log.verifierKey).size).toBe(5);
    expect(openCosignatures(cosigned, [witness.verifierKey])).toEqual([
      { witness: cosignatureKey(witness.verifierKey).split('+').slice(0, 2).join('+'), time: 1_750_000_000 },
    ]);
    for (const key of [witness.verifierKey, cosignatureKey(witness.verifierKey)]) {
      const run = runVerifier({
        verifierKey: log.verifierKey,
        checkpoints: [cosigned],
        inclusion: [],
        consistency: [],
        witnessKeys: [key],
      });
      expect(run.report.failures).toEqual([]);
      expect(run.report.cosignaturesVerified).toBe(1);
    }
    // Without the cosignature, the reference implementation refuses the checkpoint for that witness.
    const bare = runVerifier({
      verifierKey: log.verifierKey,
      checkpoints: [note],
      inclusion: [],
      consistency: [],
      witnessKeys: [witness.verifierKey],
    });
    expect(bare.status).toBe(1);
  });

  it('reads the reference implementation’s cosignature, and refuses it altered', () => {
    const before = Math.floor(Date.now() / 1000);
    const cosigned = cosignWithGo(note, log.verifierKey, witness.signerKey);
    const [found] = openCosignatures(cosigned, [witness.verifierKey]);
    expect(found?.time).toBeGreaterThanOrEqual(before - 1);
    expect(found?.time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    // Another witness's key finds nothing; the log's own key is not a witness's.
    expect(openCosignatures(cosigned, [generateKey('witness.example.org/w1').verifierKey])).toEqual([]);
    const line = cosigned.trimEnd().split('\n').at(-1) as string;
    const sig = line.split(' ').at(-1) as string;
    const flipped = `${sig.slice(0, 20)}${sig[20] === 'A' ? 'B' : 'A'}${sig.slice(21)}`;
    const forged = cosigned.replace(sig, flipped);
    expect(() => openCosignatures(forged, [witness.verifierKey])).toThrow(TransparencyLogError);
    const altered = cosigned.replace('\n5\n', '\n6\n');
    expect(() => openCosignatures(altered, [witness.verifierKey])).toThrow(/invalid cosignature/);
  });
});
