import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bus, topics } from '@ledger/bus';
import { bookkeepingStreams, CHECKPOINT_SIGNED } from '@ledger/domain';
import { type EventStore, readPages } from '@ledger/event-store';
import type { Logger } from '@ledger/http';
import { generateKey, signCheckpoint, toBase64, verifierKeyOf } from '@ledger/transparency-log';
import { v7 as uuidv7 } from 'uuid';
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

export interface LogKeys {
  readonly signerKey: string;
  readonly verifierKey: string;
}

/**
 * The log's Ed25519 signing key: read from `log-signing.key` in the state directory, or generated
 * there (mode 0600) on first start, with the verifier key beside it in `log-verifier.key`.
 */
export async function loadOrCreateLogKeys(
  stateDir: string,
  origin: string,
  logger: Logger,
): Promise<LogKeys> {
  const signerPath = join(stateDir, 'log-signing.key');
  let signerKey = (await readFile(signerPath, 'utf8').catch(() => '')).trim();
  if (!signerKey) {
    signerKey = generateKey(origin).signerKey;
    await writeFile(signerPath, `${signerKey}\n`, { mode: 0o600 });
    await chmod(signerPath, 0o600);
    logger.info({ path: signerPath }, 'generated the log signing key');
  }
  const verifierKey = verifierKeyOf(signerKey);
  if (!verifierKey.startsWith(`${origin}+`))
    throw new Error(
      `${signerPath} holds a key for ${verifierKey.split('+')[0]}, not for the log origin ${origin}`,
    );
  await writeFile(join(stateDir, 'log-verifier.key'), `${verifierKey}\n`);
  return { signerKey, verifierKey };
}

export interface Checkpointer {
  /** The latest checkpoint recorded in the log, if any. */
  latest(): SignedCheckpoint | undefined;
  /** Signs the tree as the projection has it now, records the checkpoint in the log and publishes it. */
  signNow(): Promise<SignedCheckpoint | undefined>;
  stop(): void;
}

/**
 * Signs checkpoints of the Merkle tree over the log at an interval (when the log has grown by
 * events other than checkpoints: a checkpoint is itself an event, and an idle ledger must not grow
 * by signing its own checkpoints), appends each to the log on `tlog:checkpoints` (expecting that
 * stream's revision, so two signers cannot interleave) and publishes it on `ledger.checkpoints.v1`.
 */
export async function startCheckpointer(deps: {
  projection: Projection;
  store: EventStore;
  bus: Bus;
  keys: LogKeys;
  origin: string;
  intervalMs: number;
  logger: Logger;
}): Promise<Checkpointer> {
  const { projection, store, bus, keys, origin } = deps;
  const logger = deps.logger.child({ module: 'checkpointer' });
  const [last] = await store.readStream(bookkeepingStreams.logCheckpoints, {
    direction: 'backwards',
    maxCount: 1,
  });
  let latest = last?.data as SignedCheckpoint | undefined;
  let revision = last?.revision ?? -1;
  let running: Promise<SignedCheckpoint | undefined> | undefined;

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

  const sign = async (): Promise<SignedCheckpoint | undefined> => {
    if (projection.state().status !== 'live') return latest;
    const { tree, index } = projection;
    const size = tree.size;
    if (size === 0 || (latest && latest.size >= size)) return latest;
    if (latest && !(await grewBeyondCheckpoints(latest.size, size))) return latest;
    const root = tree.root(size);
    const checkpoint: SignedCheckpoint = {
      origin,
      size,
      root: toBase64(root),
      note: signCheckpoint({ origin, size, root }, keys.signerKey),
    };
    const derivedFrom = new Date(index.recordedAtMs.at(size - 1) as number).toISOString();
    const appended = await store.append(
      [
        {
          streamId: bookkeepingStreams.logCheckpoints,
          expectedRevision: revision,
          events: [
            {
              eventId: uuidv7(),
              type: CHECKPOINT_SIGNED,
              schemaVersion: 1,
              data: checkpoint,
              metadata: { actor: 'checkpointer', correlationId: `checkpoint:${size}`, causationId: null },
            },
          ],
        },
      ],
      { derivedFrom },
    );
    revision = appended.events[0]?.revision ?? revision + 1;
    latest = checkpoint;
    await bus.publish(topics.checkpoints, [
      { key: origin, value: checkpoint, headers: { size: String(size), root: checkpoint.root } },
    ]);
    logger.info({ size, root: checkpoint.root }, 'checkpoint signed');
    return checkpoint;
  };

  const signNow = () => {
    running ??= sign().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer =
    deps.intervalMs > 0
      ? setInterval(() => {
          signNow().catch((error) => logger.error({ err: error }, 'could not sign a checkpoint'));
        }, deps.intervalMs)
      : undefined;
  timer?.unref();

  return { latest: () => latest, signNow, stop: () => clearInterval(timer) };
}
