import { describe } from 'vitest';
import { appendContract } from './contract-append.ts';
import { dataContract } from './contract-data.ts';
import { rulesContract } from './contract-rules.ts';
import { subscribeContract } from './contract-subscribe.ts';
import { timeContract } from './contract-time.ts';
import { type ContractFixture, useFixture } from './fixture.ts';

/**
 * Registers the behaviour every EventStore adapter must show. createFixture runs before each test
 * and must hand over a store with an empty log; capabilities the fixture lacks (setNow, reopen)
 * skip the tests that need them, with the reason shown.
 */
export function eventStoreContract(adapterName: string, createFixture: () => Promise<ContractFixture>): void {
  describe(`event store contract: ${adapterName}`, () => {
    const fixture = useFixture(createFixture);
    appendContract(fixture);
    timeContract(fixture);
    dataContract(fixture);
    rulesContract(fixture);
    subscribeContract(fixture);
  });
}
