import type {
  AllStreamResolvedEvent,
  AppendStreamRequest,
  ReadAllOptions,
  ReadStreamOptions,
  ResolvedEvent,
  StreamSubscription,
  SubscribeToStreamOptions,
} from '@kurrent/kurrentdb-client';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';

/**
 * The part of `@kurrent/kurrentdb-client` the adapter uses. `fromKurrentDBClient` proves, at
 * type-check time, that the real client satisfies it; tests may hand in another implementation.
 */
export interface LedgerClient {
  /** Atomic append to several streams, each with an expected state (KurrentDB ≥ 25.1). */
  multiStreamAppend(requests: AppendStreamRequest[]): Promise<{ position: bigint }>;
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterableIterator<ResolvedEvent>;
  readAll(options?: ReadAllOptions): AsyncIterableIterator<AllStreamResolvedEvent>;
  subscribeToStream(streamName: string, options?: SubscribeToStreamOptions): StreamSubscription;
  dispose(): Promise<void>;
}

export function fromKurrentDBClient(client: KurrentDBClient): LedgerClient {
  return client;
}

/** The schemes `@kurrent/kurrentdb-client` accepts (`esdb` is deprecated but still parsed). */
export const CONNECTION_STRING = /^(?:kurrentdb|kurrent|kdb|esdb)(?:\+discover)?:\/\/\S+$/;

export function isKurrentDBConnectionString(value: string): boolean {
  return CONNECTION_STRING.test(value);
}

export function openClient(connectionString: string): LedgerClient {
  if (!isKurrentDBConnectionString(connectionString)) {
    throw new TypeError(
      'a KurrentDB connection string starts with kurrentdb:// (or kurrentdb+discover://, esdb://)',
    );
  }
  return fromKurrentDBClient(KurrentDBClient.connectionString(connectionString));
}
