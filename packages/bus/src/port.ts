/** A record on a topic. `key` keeps order: records with one key stay in order. */
export interface BusMessage {
  readonly key: string;
  readonly value: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** Where a consumed record came from, where the bus has such a thing (Kafka does). */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

export interface ConsumeOptions {
  /** Consumers sharing a group share one committed offset. */
  readonly groupId: string;
  /** Called with batches in topic order; the offset is committed once the promise resolves. */
  readonly onMessages: (messages: readonly BusMessage[]) => void | Promise<void>;
  /** Called once if delivery stops because onMessages failed. */
  readonly onError?: (error: unknown) => void;
}

export interface Consumer {
  close(): Promise<void>;
}

/**
 * The message bus between the services. Delivery is at least once: a consumer must make a
 * redelivered message change nothing.
 */
export interface Bus {
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  consume(topic: string, options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}

/** Topic names shared by every deployment. */
export const topics = {
  events: 'ledger.events.v1',
  commands: 'ledger.commands.v1',
  rejectedCommands: 'ledger.commands.v1.rejected',
  /** Signed checkpoints of the Merkle tree over the log. */
  checkpoints: 'ledger.checkpoints.v1',
} as const;
