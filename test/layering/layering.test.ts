import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layering rule of docs/architecture.md ("Layers") as `pnpm lint` checks it: each probe is a file
 * placed in a package's `src`, linted by Biome with the repository's configuration, then removed.
 */
const probes: { from: string; imports: string; refused: boolean }[] = [
  { from: 'packages/domain', imports: '@ledger/http', refused: true },
  { from: 'packages/domain', imports: 'node:fs', refused: true },
  { from: 'packages/event-store', imports: '@ledger/http', refused: true },
  { from: 'packages/event-store', imports: '@ledger/domain', refused: false },
  { from: 'packages/event-store-sqlite', imports: '@ledger/runtime', refused: true },
  { from: 'packages/event-store-sqlite', imports: '@ledger/event-store', refused: false },
  { from: 'packages/http', imports: '@ledger/runtime', refused: true },
  { from: 'packages/runtime', imports: '@ledger/ingestion', refused: true },
  { from: 'packages/runtime', imports: '@ledger/bus-kafka', refused: false },
  { from: 'services/ingestion', imports: '@ledger/scoring', refused: true },
  { from: 'services/projection', imports: '@ledger/cli', refused: true },
  { from: 'services/projection', imports: '@ledger/ingestion/testing', refused: true },
  { from: 'services/scoring', imports: '@ledger/all-in-one', refused: true },
  { from: 'services/ingestion', imports: '../../projection/src/mount.ts', refused: true },
  { from: 'services/ingestion', imports: '@ledger/runtime', refused: false },
  { from: 'services/cli', imports: '@ledger/all-in-one', refused: true },
  { from: 'services/all-in-one', imports: '@ledger/ingestion', refused: false },
];

const files = probes.map((p) => `${p.from}/src/layering-probe-${randomUUID()}.ts`);

afterAll(() => Promise.all(files.map((f) => rm(f, { force: true }))));

describe('the layering rule', () => {
  it('refuses each import that breaks it, and only those', { timeout: 60_000 }, async () => {
    await Promise.all(
      probes.map((p, i) =>
        writeFile(
          files[i] as string,
          `import * as probe from '${p.imports}';\n\nexport const used = probe;\n`,
        ),
      ),
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['node_modules/@biomejs/biome/bin/biome', 'lint', '--reporter=json', ...files],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const diagnostics = (
      JSON.parse(stdout) as { diagnostics: { category: string; location: { path: string } }[] }
    ).diagnostics;
    const refusedFiles = new Set(
      diagnostics.filter((d) => d.category === 'lint/style/noRestrictedImports').map((d) => d.location.path),
    );
    const verdicts = probes.map(
      (p, i) => `${p.from} → ${p.imports}: ${refusedFiles.has(files[i] as string)}`,
    );
    expect(verdicts).toEqual(probes.map((p) => `${p.from} → ${p.imports}: ${p.refused}`));
  });
});
