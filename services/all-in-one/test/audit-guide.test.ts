import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from './support.ts';

/**
 * docs/audit.md, run as written. Each section (the intro, and every `##` or `###` heading) is one
 * bash script: the intro's `sh` blocks (they set `AUTH`, which every section uses), then the
 * section's `sh` blocks in order, in one shell under `-euo pipefail`, so that every command must
 * succeed unless the guide handles its exit code (`|| echo "exit code $?"`). The sections run in
 * the guide's order against one fresh demo ledger, sharing the files they write (the kept
 * checkpoint of question 4 is the tamper recipe's).
 *
 * Expected output, matched against stdout and stderr together (what a reader's terminal shows):
 * a bare ``` block after a `sh` block, and each run of lines beginning with `# ` inside a `sh`
 * block. In both, `…` stands for any text. Each of them must match consecutive lines of the
 * section's output, in the guide's order; output the guide does not show is not checked.
 *
 * A block marked ```sh norun is not run, nor is the output shown after it checked. Any other
 * shell-like block (```bash, ```shell, ```console) fails the test, so no block goes unrun unseen.
 */
const GUIDE = new URL('../../../docs/audit.md', import.meta.url);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Section {
  readonly title: string;
  /** The `sh` blocks this test runs. */
  readonly blocks: string[];
  /** The blocks marked `sh norun`. */
  skipped: number;
  /** Each a run of lines that must match consecutive lines of the output, in order. */
  readonly expected: string[][];
}

function sectionsOf(text: string): Section[] {
  const sections: Section[] = [];
  let section: Section = { title: 'intro', blocks: [], skipped: 0, expected: [] };
  sections.push(section);
  let fence: { info: string; lines: string[] } | undefined;
  // Whether the block shown last ran: an output block after a block that did not is not checked.
  let lastRan = false;
  for (const line of text.split('\n')) {
    if (fence) {
      if (line !== '```') {
        fence.lines.push(line);
        continue;
      }
      const { info, lines } = fence;
      fence = undefined;
      if (info === 'sh') {
        section.blocks.push(lines.join('\n'));
        lastRan = true;
        let shown: string[] = [];
        for (const l of [...lines, '']) {
          if (l.startsWith('# ')) shown.push(l.slice(2));
          else if (shown.length > 0) {
            section.expected.push(shown);
            shown = [];
          }
        }
      } else if (info === 'sh norun') {
        section.skipped++;
        lastRan = false;
      } else if (info === '') {
        if (lastRan) section.expected.push(lines);
      } else if (/^(sh|bash|shell|zsh|console)\b/.test(info)) {
        throw new Error(
          `docs/audit.md: a \`\`\`${info} block: write \`\`\`sh, or \`\`\`sh norun if it cannot run here`,
        );
      }
      continue;
    }
    const opening = /^```(.*)$/.exec(line);
    if (opening) fence = { info: (opening[1] ?? '').trim(), lines: [] };
    else if (/^###? /.test(line)) {
      section = { title: line.replace(/^#+ /, ''), blocks: [], skipped: 0, expected: [] };
      sections.push(section);
      lastRan = false;
    }
  }
  if (fence) throw new Error('docs/audit.md: a code block is not closed');
  return sections;
}

/** An expected line as a regular expression: literal, but for `…`, any text. */
const lineMatcher = (line: string) =>
  new RegExp(
    `^${line
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The output's lines, each expected run matching consecutive lines after the previous run's. */
function expectShown(output: string, expected: string[][]) {
  const lines = output.split('\n');
  let from = 0;
  for (const run of expected) {
    const matchers = run.map(lineMatcher);
    let at = from;
    while (at + run.length <= lines.length && !matchers.every((m, i) => m.test(lines[at + i] ?? ''))) at++;
    if (at + run.length > lines.length) {
      throw new Error(
        `docs/audit.md shows\n${run.join('\n')}\nbut after line ${from} the output is\n${lines.slice(from).join('\n')}`,
      );
    }
    from = at + run.length;
  }
}

const text = readFileSync(GUIDE, 'utf8');
const sections = sectionsOf(text);
const intro = sections[0] as Section;

describe('docs/audit.md, run as written against a fresh demo ledger', () => {
  let ledger: TestLedger;
  /**
   * The directory the commands run in, standing for the repository's root: its `data` is the test
   * ledger's data directory (so `data/admin.key` and `data/ledger.sqlite` are the guide's own
   * paths, and the CLI's default store), and its package.json has the root's `ledger` script, with
   * `services` (and `scripts`) linked to the repository's, so that `pnpm -s ledger` runs in it as at the root. The
   * files the guide writes (`kept-checkpoint.txt`, `tampered.sqlite`, …) land there too, not in
   * the checkout. Only `localhost:8080` is rewritten, to the test ledger's port.
   */
  let work: string;
  let ran = 0;

  beforeAll(async () => {
    for (const tool of ['curl', 'jq', 'sqlite3', 'pnpm']) {
      await promisify(execFile)('bash', ['-c', `command -v ${tool}`]).catch(() => {
        throw new Error(`docs/audit.md needs ${tool} (see its prerequisites)`);
      });
    }
    work = await mkdtemp(join(tmpdir(), 'ledger-audit-guide-'));
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    await writeFile(
      join(work, 'package.json'),
      JSON.stringify({ private: true, scripts: { ledger: scripts.ledger } }),
    );
    // What the script runs: the services, and the check of the Node version it starts with.
    for (const dir of ['services', 'scripts']) await symlink(join(ROOT, dir), join(work, dir));
    ledger = await startTestLedger({ LEDGER_DEMO: 'on', LEDGER_DATA_DIR: join(work, 'data') });
    await ledger.settled();
  });
  afterAll(async () => {
    await ledger?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs a section's blocks after the intro's; resolves with its output. */
  const run = async (blocks: string[]) => {
    // The guide's defaults, not the test run's: no LEDGER_* settings reach the commands.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('LEDGER_')),
    );
    const script = ['exec 2>&1', ...intro.blocks, ...blocks]
      .join('\n')
      .replaceAll('localhost:8080', `127.0.0.1:${ledger.port}`);
    try {
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: work,
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const e = error as { code: number; stdout: string };
      throw new Error(`a command exited with ${e.code}; the output until then:\n${e.stdout}`);
    }
  };

  for (const section of sections.filter((s) => s.blocks.length > 0)) {
    it(`runs "${section.title}"`, { timeout: 120_000 }, async () => {
      const output = await run(section === intro ? [] : section.blocks);
      expectShown(output, section.expected);
      ran += section.blocks.length;
    });
  }

  it('ran every sh block of the guide', () => {
    const skipped = sections.reduce((n, s) => n + s.skipped, 0);
    // Counted apart from the parser above: a block it missed would be missing here.
    const fenced = text.match(/^\s*```\s*sh\b/gm)?.length ?? 0;
    expect(ran + skipped).toBe(fenced);
    expect(skipped).toBeLessThanOrEqual(3);
    // The guide has 12 blocks to run today; a guide with fewer has lost some.
    expect(ran).toBeGreaterThanOrEqual(12);
    // What matters most is still shown, and so was checked: the log verifies, the tampered copy not.
    const shown = sections.flatMap((s) => s.expected.flat()).join('\n');
    expect(shown).toContain('verified: ');
    expect(shown).toMatch(/an event was altered.*\n.*exit code 1/);
  });
});
