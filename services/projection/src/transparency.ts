import { type Bus, topics } from '@ledger/bus';
import {
  type AuthMethod,
  bookkeepingStreams,
  CHECKPOINT_SIGNED,
  type EventMetadata,
  LOG_KEY_LOSS_ACKNOWLEDGED,
  LOG_KEY_ROTATED,
  type RecordedEvent,
  Rejection,
} from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { keyHandle, signCheckpoint, signKeyLoss, signKeyRotation, toBase64 } from '@ledger/transparency-log';
import { v7 as uuidv7 } from 'uuid';
import { type LogKeys, prepareNextKey, promoteNextKey, resolveLogKeys } from './log-keys.ts';
import type { Projection } from './projection.ts';

/** A signed checkpoint as the ledger records and publishes it: C2SP tlog-checkpoint in a signed note. */
export interface SignedCheckpoint {
  readonly origin: string;
  readonly size: number;
  /** Base64 RFC 9162 root. */
  readonly root: string;
  /** The signed note, exactly as a C2SP verifier reads it. */
  readonly note: string;
}

/** A change of signing key, as recorded in the log. */
export interface KeyChange {
  readonly position: number;
  readonly size: number;
  readonly root: string;
  readonly previousKey: string;
  readonly verifierKey: string;
  /** The signed key statement. */
  readonly note: string;
}

export interface Checkpointer {
  /** The latest checkpoint recorded in the log, if any. */
  latest(): SignedCheckpoint | undefined;
  /**
   * When the latest checkpoint was signed, epoch ms: by this process, or else (signed before it
   * started) the recordedAt of its event, which is the instant of the last event it covers, or a
   * later one: never after the signing. Undefined: none yet.
   */
  latestAt(): number | undefined;
  /** The verifier key of the key that signs now. */
  verifierKey(): string;
  /** Signs the tree as the projection has it now, records the checkpoint in the log and publishes it. */
  signNow(): Promise<SignedCheckpoint | undefined>;
  /**
   * Replaces the signing key: records in the log a rotation statement signed by the current key and
   * the next, then signs with the next.
   */
  rotateKey(by: {
    actor: string;
    auth?: AuthMethod;
    reason?: string;
    correlationId?: string;
  }): Promise<KeyChange>;
  stop(): void;
}

/**
 * Signs checkpoints of the Merkle tree over the log at an interval (when the log has grown by
 * events other than checkpoints: a checkpoint is itself an event, and an idle ledger must not grow
 * by signing its own checkpoints), appends each to the log on `tlog:checkpoints` (expecting that
 * stream's revision, so two signers cannot interleave) and publishes it on `ledger.checkpoints.v1`.
 * The key statements go on the same stream, so the log orders them with the checkpoints they
 * separate; the key is the one the log expects (log-keys.ts), and a declared loss is recorded
 * before anything is signed.
 */
export async function startCheckpointer(deps: {
  projection: Projection;
  store: EventStore;
  bus: Bus;
  /** Where the signing key is kept (log-keys.ts). */
  keyDir: string;
  origin: string;
  intervalMs: number;
  keyLoss?: { readonly lostKey: string; readonly reason: string } | undefined;
  logger: Logger;
}): Promise<Checkpointer> {
  const { projection, store, bus, origin, keyDir } = deps;
  const logger = deps.logger.child({ module: 'checkpointer' });
  const recent = await store.readStream(bookkeepingStreams.logCheckpoints, {
    direction: 'backwards',
    maxCount: 100,
  });
  const tail = recent[0];
  const latestEvent = recent.find((e) => e.type === CHECKPOINT_SIGNED);
  let latest = latestEvent?.data as SignedCheckpoint | undefined;
  let latestAt = latestEvent ? Date.parse(latestEvent.recordedAt) : undefined;
  let revision = tail?.revision ?? -1;
  const resolved = await resolveLogKeys({ keyDir, origin, tail, keyLoss: deps.keyLoss, logger });
  let keys: LogKeys = resolved.keys;
  /** One change to the stream at a time: signing, a rotation, a loss. */
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Whether leaves [from, to) of the tree hold an event other than a signed checkpoint. */
  const grewBeyondCheckpoints = async (from: number, to: number): Promise<boolean> => {
    const { index } = projection;
    const last = index.positions.at(to - 1) as number;
    for await (const page of readPages(store, from === 0 ? 0 : (index.positions.at(from - 1) as number), 100))
      for (const event of page) {
        if (event.position > last) return false;
        if (event.type !== CHECKPOINT_SIGNED) return true;
      }
    return false;
  };

  /** The tree now, and the instant of its last leaf (what a record about it is derived from). */
  const treeNow = () => {
    const { tree, index } = projection;
    const size = tree.size;
    return {
      origin,
      size,
      root: tree.root(size),
      derivedFrom: size > 0 ? new Date(index.recordedAtMs.at(size - 1) as number).toISOString() : undefined,
    };
  };

  const record = async (
    type: string,
    data: Record<string, unknown>,
    metadata: EventMetadata,
    derivedFrom: string | undefined,
  ): Promise<RecordedEvent | { position: number }> => {
    const appended = await store.append(
      [
        {
          streamId: bookkeepingStreams.logCheckpoints,
          expectedRevision: revision,
          events: [{ eventId: uuidv7(), type, schemaVersion: 1, data, metadata }],
        },
      ],
      derivedFrom === undefined ? {} : { derivedFrom },
    );
    const [event] = appended.events;
    revision = event?.revision ?? revision + 1;
    return { position: event?.position ?? 0 };
  };

  const sign = async (): Promise<SignedCheckpoint | undefined> => {
    if (projection.state().status !== 'live') return latest;
    const { size, root, derivedFrom } = treeNow();
    if (size === 0 || (latest && latest.size >= size)) return latest;
    if (latest && !(await grewBeyondCheckpoints(latest.size, size))) return latest;
    const checkpoint: SignedCheckpoint = {
      origin,
      size,
      root: toBase64(root),
      note: signCheckpoint({ origin, size, root }, keys.signerKey),
    };
    await record(
      CHECKPOINT_SIGNED,
      { ...checkpoint },
      { actor: 'checkpointer', correlationId: `checkpoint:${size}`, causationId: null },
      derivedFrom,
    );
    latest = checkpoint;
    latestAt = Date.now();
    await bus.publish(topics.checkpoints, [
      { key: origin, value: checkpoint, headers: { size: String(size), root: checkpoint.root } },
    ]);
    logger.info({ size, root: checkpoint.root }, 'checkpoint signed');
    return checkpoint;
  };

  /** Appends a key statement and then signs with the next key (prepared in the state directory). */
  const changeKey = async (
    next: LogKeys,
    statement: (tree: ReturnType<typeof treeNow>) => {
      type: string;
      note: string;
      from: Record<string, string>;
    },
    metadata: EventMetadata,
    reason: string | undefined,
  ): Promise<KeyChange> => {
    const tree = treeNow();
    const { type, note, from } = statement(tree);
    const data = {
      origin,
      size: tree.size,
      root: toBase64(tree.root),
      verifierKey: next.verifierKey,
      ...from,
      ...(reason ? { reason } : {}),
      note,
    };
    const { position } = await record(type, data, metadata, tree.derivedFrom);
    await promoteNextKey(keyDir, next);
    const previousKey = keys.verifierKey;
    keys = next;
    return { position, size: tree.size, root: data.root, previousKey, verifierKey: next.verifierKey, note };
  };

  if (resolved.loss) {
    const { lostKey, reason } = resolved.loss;
    await projection.waitFor((await store.head()).position, 30_000).catch(() => undefined);
    const change = await changeKey(
      keys,
      (tree) => ({
        type: LOG_KEY_LOSS_ACKNOWLEDGED,
        note: signKeyLoss(tree, lostKey, keys.signerKey, reason),
        from: { lostKey },
      }),
      { actor: 'checkpointer', correlationId: `key-loss:${lostKey}`, causationId: null },
      reason,
    );
    logger.warn(
      { lostKey, verifierKey: change.verifierKey, position: change.position },
      'recorded the loss of the log signing key',
    );
  }

  const rotateKey: Checkpointer['rotateKey'] = (by) =>
    serially(async () => {
      if (projection.state().status !== 'live')
        throw new Rejection(
          'unavailable',
          'the projection is not live: a rotation must name the tree it is made at',
        );
      const previous = keys;
      const next = await prepareNextKey(keyDir, origin);
      const change = await changeKey(
        next,
        (tree) => ({
          type: LOG_KEY_ROTATED,
          note: signKeyRotation(tree, previous.signerKey, next.signerKey, by.reason),
          from: { previousKey: previous.verifierKey },
        }),
        {
          actor: by.actor,
          ...(by.auth ? { auth: by.auth } : {}),
          correlationId: by.correlationId ?? `key-rotation:${keyHandle(next.verifierKey)}`,
          causationId: null,
        },
        by.reason,
      );
      logger.info(
        {
          previousKey: keyHandle(previous.verifierKey),
          verifierKey: keyHandle(next.verifierKey),
          position: change.position,
        },
        'rotated the log signing key',
      );
      return change;
    });

  const signNow = () => serially(sign);

  const timer =
    deps.intervalMs > 0
      ? setInterval(() => {
          signNow().catch((error) => logger.error({ err: error }, 'could not sign a checkpoint'));
        }, deps.intervalMs)
      : undefined;
  timer?.unref();

  return {
    latest: () => latest,
    latestAt: () => latestAt,
    verifierKey: () => keys.verifierKey,
    signNow,
    rotateKey,
    stop: () => clearInterval(timer),
  };
}
