import {
  createLedgerIndex,
  eventDataFault,
  foldRecorded,
  type LedgerIndex,
  notPlainJson,
  type RecordedEvent,
  viewAt,
} from '@ledger/domain';
import { rankingReport } from '@ledger/reports';
import { ledgerCli } from '../../../services/all-in-one/test/support.ts';
import { readLog } from '../../e2e/support.ts';

/** A broken invariant: what was found, and where to look. */
export class InvariantBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantBroken';
  }
}

let credential: Record<string, string> = {};

/** The API key the invariants' ops calls are made with: the owner's of the ledger under test. */
export const useCredential = (key: string | undefined) => {
  credential = key ? { authorization: `Bearer ${key}` } : {};
};

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, {
    ...init,
    headers: { ...credential, ...(init?.headers as Record<string, string>) },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

/** Waits until every follower behind these URLs has applied the whole log and is live. */
export async function settled(urls: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const states = await Promise.all(urls.map((u) => json(`${u}/v1/ops/projections`)));
    const behind = states.flatMap((s) =>
      (s.body?.projections ?? []).filter(
        (p: { lagEvents: number; status: string }) => p.lagEvents > 0 || p.status !== 'live',
      ),
    );
    const ready = await Promise.all(urls.map((u) => fetch(`${u}/readyz`).then((r) => r.status)));
    if (behind.length === 0 && ready.every((s) => s === 200)) return;
    last = JSON.stringify({ behind, ready });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new InvariantBroken(`the followers did not settle live at the head of the log: ${last}`);
}

/** The whole log, read from the store file with a connection of its own. */
export const readStoreLog = readLog;

/**
 * Every event of the log is one every reader takes: plain JSON, its data matching its schema, and
 * foldable in order. Returns the fold.
 */
export function everyReaderTakes(log: readonly RecordedEvent[]): LedgerIndex {
  const index = createLedgerIndex();
  for (const event of log) {
    const fault =
      notPlainJson(event.data) ?? notPlainJson(event.metadata) ?? eventDataFault(event.type, event.data);
    if (fault)
      throw new InvariantBroken(
        `the event at position ${event.position} (${event.type}) is in the log: ${fault.path} ${fault.message}`,
      );
    try {
      foldRecorded(index, event);
    } catch (error) {
      throw new InvariantBroken(
        `the event at position ${event.position} (${event.type}) cannot be folded: ${(error as Error).message}`,
      );
    }
  }
  return index;
}

/** The periods that have a value of some indicator, and a few that have none. */
const periodsOf = (index: LedgerIndex) => {
  const periods = new Set(['2023', '2030']);
  for (const code of index.indicators.keys()) for (const p of index.values.periods(code)) periods.add(p);
  return [...periods].sort();
};

/**
 * What the ledger serves is what a full replay of its store gives: each methodology's ranking of
 * each period, at the head and at a few earlier positions. Returns how many rankings were compared.
 */
export async function servedIsReplayed(readUrl: string, storePath: string, samples = 3): Promise<number> {
  const log = await readStoreLog(storePath);
  const index = everyReaderTakes(log);
  const head = log.at(-1)?.position ?? 0;
  const positions = [
    head,
    ...Array.from(
      { length: samples },
      (_, i) => log[Math.floor(((i + 1) * log.length) / (samples + 2))]?.position ?? head,
    ),
  ];
  let compared = 0;
  for (const methodologyId of index.methodologies.keys())
    for (const period of periodsOf(index))
      for (const position of positions) {
        let replayed: unknown;
        try {
          const report = rankingReport(viewAt(index, position), methodologyId, period);
          replayed = JSON.parse(
            JSON.stringify({ methodologyVersion: report.methodologyVersion, rows: report.rows }),
          );
        } catch {
          replayed = undefined;
        }
        const url = `${readUrl}/v1/rankings/${methodologyId}/${period}?atPosition=${position}`;
        const served = await json(url);
        if (replayed === undefined) {
          if (served.status !== 404)
            throw new InvariantBroken(`${url}: served ${served.status} where a replay has no ranking`);
          continue;
        }
        const got = { methodologyVersion: served.body?.methodologyVersion, rows: served.body?.rows };
        if (served.status !== 200 || JSON.stringify(got) !== JSON.stringify(replayed))
          throw new InvariantBroken(
            `${url}: served ${served.status} ${JSON.stringify(got).slice(0, 400)}, a replay gives ${JSON.stringify(replayed).slice(0, 400)}`,
          );
        compared++;
      }
  return compared;
}

/** A fresh signed checkpoint, then `ledger verify` against the log's own key: it must pass. */
export async function verifies(readUrl: string, storePath: string): Promise<void> {
  const signed = await json(`${readUrl}/v1/ops/log/checkpoint`, { method: 'POST' });
  if (signed.status !== 201 && signed.status !== 200)
    throw new InvariantBroken(
      `POST /v1/ops/log/checkpoint answered ${signed.status}: ${JSON.stringify(signed.body)}`,
    );
  const key = (await fetch(`${readUrl}/v1/log/key`).then((r) => r.text())).trim();
  const verified = await ledgerCli(['verify', '--key', key], { LEDGER_STORE: `sqlite:${storePath}` });
  if (verified.code !== 0)
    throw new InvariantBroken(`ledger verify failed (${verified.code}): ${verified.stderr}`);
}
