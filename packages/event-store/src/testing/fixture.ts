import { afterEach, beforeEach } from 'vitest';
import type { EventStore, Subscription } from '../port.ts';

/** What an adapter's test hands the contract suite, fresh for every test. */
export interface ContractFixture {
  /** A store whose log is empty. cleanup closes it. */
  store: EventStore;
  /** set the store's clock (epoch ms), when the adapter supports an injected clock */
  setNow?: (ms: number) => void;
  /**
   * a second store instance on the same underlying data, when supported (e.g. same SQLite file).
   * The suite closes the stores it gets from here before calling cleanup.
   */
  reopen?: () => Promise<EventStore>;
  cleanup: () => Promise<void>;
}

/** The current test's fixture, plus cleanup of what the test opened. */
export interface ContractHarness {
  readonly store: EventStore;
  readonly setNow: ((ms: number) => void) | undefined;
  /** undefined when the adapter cannot open a second instance. */
  readonly reopen: (() => Promise<EventStore>) | undefined;
  /** Closes the subscription after the test, even if the test fails first. */
  track(subscription: Subscription): Subscription;
}

/** Creates a fixture before each test and tears it down after; call the result inside a test. */
export function useFixture(createFixture: () => Promise<ContractFixture>): () => ContractHarness {
  let current: ContractHarness | undefined;
  let teardown: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    const fixture = await createFixture();
    const reopened: EventStore[] = [];
    const subscriptions: Subscription[] = [];
    const { reopen } = fixture;
    current = {
      store: fixture.store,
      setNow: fixture.setNow,
      reopen:
        reopen === undefined
          ? undefined
          : async () => {
              const store = await reopen();
              reopened.push(store);
              return store;
            },
      track: (subscription) => {
        subscriptions.push(subscription);
        return subscription;
      },
    };
    teardown = async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      await Promise.all(reopened.map((store) => store.close()));
      await fixture.cleanup();
    };
  });

  afterEach(async () => {
    const done = teardown;
    current = undefined;
    teardown = undefined;
    await done?.();
  });

  return () => {
    if (current === undefined) throw new Error('the contract fixture is only available inside a test');
    return current;
  };
}
