/** A record on a topic. `key` keeps order: records with one key stay in order. */
export interface BusMessage {
  readonly key: string;
  readonly value: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** Where a consumed record came from, as the bus names it (Kafka: with its namespace). */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

/** Where a batch came from: one of the consumer's topics, as it named it to `consume`. */
export interface BatchSource {
  readonly topic: string;
}

export interface ConsumeOptions {
  /** Consumers sharing a group share one committed offset (per topic and partition). */
  readonly groupId: string;
  /**
   * Topics this consumer reads besides the first, in the same group: one subscription, with each
   * topic's records in their order. A consumer reads a fixed list; to read another, close it and
   * consume again in the same group (committed offsets are kept; a topic new to the group starts at
   * its oldest record).
   */
  readonly alsoTopics?: readonly string[];
  /**
   * Called with batches in topic order, one call at a time, every batch from one topic (`source`:
   * which one; a wrapper that does not pass it on leaves it undefined); the offset is committed once
   * the promise resolves.
   */
  readonly onMessages: (messages: readonly BusMessage[], source?: BatchSource) => void | Promise<void>;
  /** Called once if delivery stops because onMessages failed. */
  readonly onError?: (error: unknown) => void;
}

export interface Consumer {
  close(): Promise<void>;
}

/** What `prepareTopics` found: the topics that exist now, and why each of the others does not. */
export interface PreparedTopics {
  readonly ready: readonly string[];
  readonly missing: readonly { readonly topic: string; readonly reason: string }[];
}

/**
 * The message bus between the services. Delivery is at least once: a consumer must make a
 * redelivered message change nothing.
 */
export interface Bus {
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  consume(topic: string, options: ConsumeOptions): Promise<Consumer>;
  /**
   * Optional, for topics that come and go with the ledger's state (a principal's commands topic):
   * creates those of `topics` that do not exist yet, where the bus may (a broker with ACLs lets
   * only its admin create topics), and says which exist now. A bus without it has every topic (the
   * in-process bus makes one on first use).
   */
  prepareTopics?(topics: readonly string[]): Promise<PreparedTopics>;
  /**
   * Optional, for a bus over a broker: whether it reaches the broker now, and if not why and since
   * when. A bus without it is always reachable (the in-process bus).
   */
  health?(): BusHealth;
  close(): Promise<void>;
}

/** Whether a bus reaches its broker (a split service's readiness, docs/operations.md "Broker outage"). */
export interface BusHealth {
  readonly connected: boolean;
  /** Why not: which client has had no answer, for how long, the last error. */
  readonly reason?: string;
  /** Since when (ISO 8601) it has had no answer. */
  readonly since?: string;
}

/** Topic names shared by every deployment. */
export const topics = {
  events: 'ledger.events.v1',
  /** The shared commands topic; each principal also has its own (commands-topics.ts). */
  commands: 'ledger.commands.v1',
  rejectedCommands: 'ledger.commands.v1.rejected',
  /** Signed checkpoints of the Merkle tree over the log. */
  checkpoints: 'ledger.checkpoints.v1',
} as const;
