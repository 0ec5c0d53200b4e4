import { topics } from './port.ts';

/**
 * Each principal's own commands topic, `ledger.commands.v1.<suffix>`, which only that principal may
 * write (docs/topics.md, "Access control"). A Kafka record carries no producer identity and its
 * headers can be forged, so the topic a record is on says who sent it.
 *
 * The suffix is the principal id without its scheme (`svc:ledger-int-a` → `ledger-int-a`), or the
 * id itself if it has none; on a broker with SASL it is also the principal's Kafka user
 * (`kafkaUserOf` of `@ledger/bus-kafka`). So `svc:x` and `user:x` share one topic: ingestion reads
 * such a topic as neither of them.
 */

/** The prefix of the principals' commands topics. It also begins `ledger.commands.v1.rejected`. */
export const COMMANDS_TOPIC_PREFIX = `${topics.commands}.`;

/** What follows the prefix on the dead-letter topic: no principal may be called so. */
const REJECTED_SUFFIX = topics.rejectedCommands.slice(COMMANDS_TOPIC_PREFIX.length);

/** What a topic name allows (and a Kafka user name too), well under Kafka's 249 characters. */
const SUFFIX = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The suffix of a principal's commands topic (and its Kafka user). Throws for a principal whose
 * suffix could not end a topic name (1–200 of `A-Z a-z 0-9 . _ -`) or would name the rejected topic.
 */
export function commandsTopicSuffixOf(principal: string): string {
  const suffix = principal.slice(principal.indexOf(':') + 1);
  if (!SUFFIX.test(suffix))
    throw new Error(
      `principal ${JSON.stringify(principal)}: its Kafka user and commands topic must be 1–200 of A-Z a-z 0-9 . _ - (after an optional "scheme:")`,
    );
  if (suffix === REJECTED_SUFFIX)
    throw new Error(
      `principal ${JSON.stringify(principal)}: "${suffix}" would name the rejected-commands topic`,
    );
  return suffix;
}

/** The topic a principal publishes its commands on: `<ns>ledger.commands.v1.<suffix>`. */
export const commandsTopicOf = (principal: string, namespace = ''): string =>
  `${namespace}${COMMANDS_TOPIC_PREFIX}${commandsTopicSuffixOf(principal)}`;

/**
 * The suffix of a principal's commands topic, from its name (without a namespace); undefined for
 * any other topic, the shared and the rejected ones among them. Which principal it is, only the
 * registered principals say (see above).
 */
export function commandsTopicSuffix(topic: string): string | undefined {
  if (!topic.startsWith(COMMANDS_TOPIC_PREFIX)) return undefined;
  const suffix = topic.slice(COMMANDS_TOPIC_PREFIX.length);
  return SUFFIX.test(suffix) && suffix !== REJECTED_SUFFIX ? suffix : undefined;
}
