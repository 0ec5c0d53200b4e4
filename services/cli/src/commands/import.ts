import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { EventStore } from '@ledger/event-store';
import { createLogger } from '@ledger/http';
import { createIngestion, requestHash, type WriteOutcome } from '@ledger/ingestion';
import { parse } from 'csv-parse/sync';
import { CliFailure, EXIT } from '../failure.ts';

const NUMERIC = new Set(['value', 'maxPoints', 'expectedRevision']);

/**
 * Reads a file of commands: JSON as `{commands: [{type, body}], recordedAt?}` (the body of
 * POST /v1/batch) or a bare array of commands; CSV with a header row, one command per row, a
 * `type` column (default `submission`) and the body's fields as the other columns.
 */
export async function readCommands(file: string): Promise<{ commands: unknown[]; recordedAt?: string }> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliFailure(`cannot read ${file}`, EXIT.usage);
  });
  if (extname(file).toLowerCase() === '.csv') {
    const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
      string,
      string
    >[];
    return {
      commands: rows.map(({ type, ...fields }) => ({
        type: type || 'submission',
        body: Object.fromEntries(
          Object.entries(fields)
            .filter(([, v]) => v !== '')
            .map(([k, v]) => [
              k,
              NUMERIC.has(k) && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v,
            ]),
        ),
      })),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliFailure(`${file} is not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
  if (Array.isArray(json)) return { commands: json };
  const batch = json as { commands?: unknown; recordedAt?: string };
  if (!Array.isArray(batch.commands))
    throw new CliFailure(`${file}: expected {commands: [...]} or an array`, EXIT.usage);
  return { commands: batch.commands, ...(batch.recordedAt ? { recordedAt: batch.recordedAt } : {}) };
}

/** Records a file of commands as one batch, all or nothing, through the same ingestion as the API. */
export async function importFile(store: EventStore, file: string, actor: string): Promise<WriteOutcome> {
  const { commands, recordedAt } = await readCommands(file);
  const ingestion = createIngestion({ store, logger: createLogger('ledger-cli', 'warn') });
  await ingestion.start();
  return ingestion.execute({
    commands: commands.map((c) => {
      const { type, body } = (c ?? {}) as { type?: unknown; body?: unknown };
      return { type, body };
    }),
    pathOf: (i) => `commands.${i}.body`,
    recordedAt,
    requestHash: requestHash('import', commands),
    actor,
    auth: { method: 'local' },
    correlationId: `import:${file}`,
    causationId: null,
    submissionAddressedBy: 'body',
  });
}
