export { eventStoreContract } from './contract.ts';
export type { ContractFixture } from './fixture.ts';
export {
  expectRejection,
  ISO_UTC_MS,
  newEvent,
  newEvents,
  newStreamId,
  request,
  settle,
  waitFor,
} from './helpers.ts';
