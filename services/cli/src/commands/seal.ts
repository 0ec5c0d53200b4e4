import type { EventStore } from '@ledger/event-store';
import { createLogger } from '@ledger/http';
import { createIngestion } from '@ledger/ingestion';

/** Seals the ledger (docs/scoring.md, "Time") through the same ingestion as the API; a sealed ledger stays as it is. */
export async function sealLedger(store: EventStore, actor: string, reason: string | null) {
  const ingestion = createIngestion({ store, logger: createLogger('ledger-cli', 'warn') });
  await ingestion.start();
  return ingestion.seal({
    reason,
    actor,
    auth: { method: 'local' },
    correlationId: 'cli:seal',
    causationId: null,
  });
}
