import { parseArgs } from 'node:util';
import { Label, PeriodSchema, Rejection, visible, visibleJson } from '@ledger/domain';
import { toProblem } from '@ledger/http';
import { display } from '@ledger/reports';
import { ACCESS_USAGE, runAccess } from './commands/access.ts';
import { diff } from './commands/diff.ts';
import { rankingCsv } from './commands/export.ts';
import { importFile } from './commands/import.ts';
import { compareWithServed, positionFor, replayRanking } from './commands/replay.ts';
import { sealLedger } from './commands/seal.ts';
import { stamper } from './commands/stamp.ts';
import { proofFromLog, readCheckpointFile, verifierKey, verifyLog } from './commands/verify.ts';
import { fold, openStore, readLog, storePath } from './event-log.ts';
import { CliFailure, EXIT } from './failure.ts';

/** Each command's usage, as `ledger <command> --help` and `ledger help <command>` print it. */
const HELP: Record<string, string> = {
  replay: `  replay  --methodology ID --period P [--as-of D] [--parent-id ID] [--against URL] [--json]
          rebuild a ranking from the raw log; with --against, compare it field by field with what
          the ledger at URL serves and report the first event at which they diverge`,
  diff: `  diff    --methodology ID --period P --from D1 [--to D2] [--json]
          what changed in a ranking between two dates, and the events that caused it`,
  export: `  export  --methodology ID --period P [--as-of D] [--format csv|json]
          a ranking as of D, as CSV (default) or JSON, on stdout`,
  import: `  import  FILE.json|FILE.csv [--actor NAME]
          record a batch of commands, all or nothing (with its recordedAt only while the ledger is open)`,
  seal: `  seal    [--reason TEXT] [--actor NAME]
          seal the ledger: from then on every write is recorded at its clock, and recordedAt is refused`,
  verify: `  verify  [--checkpoint FILE] [--key KEY | --key-file FILE]
          check the log against the signed checkpoints it records and, with --checkpoint, against a
          checkpoint you kept: every event since is unaltered, nothing removed, inserted, reordered
          or truncated. replay --checkpoint FILE first does this, then ranks from those leaves only`,
  proof: `  proof   --position P [--size N]  |  --from M [--to N]
          an RFC 9162 inclusion proof of the event at position P, or a consistency proof between
          tree sizes M and N, computed from the log (JSON)`,
  access: ACCESS_USAGE,
};

const FOOTER = `Dates: ISO-8601; a bare date is the end of that day in Asia/Ho_Chi_Minh (UTC+7).
Exit codes: 0 done or verified; 1 verification failed or refused; 2 bad usage or input.`;

const USAGE = `ledger <command> [options]   (reads LEDGER_STORE=sqlite:<path> or LEDGER_DATA_DIR, default ./data)

${Object.values(HELP).join('\n')}

${FOOTER}`;

/** The usage of one command, or of all. */
const usageOf = (command: string | undefined) =>
  command && HELP[command] ? `ledger ${command} [options]\n\n${HELP[command]}\n\n${FOOTER}` : USAGE;

const OPTIONS = {
  methodology: { type: 'string' },
  period: { type: 'string' },
  'as-of': { type: 'string' },
  'parent-id': { type: 'string' },
  against: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string', default: 'csv' },
  actor: { type: 'string', default: 'ledger-cli' },
  reason: { type: 'string' },
  json: { type: 'boolean', default: false },
  checkpoint: { type: 'string' },
  position: { type: 'string' },
  size: { type: 'string' },
  key: { type: 'string' },
  'key-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Prints a line. Whatever in it comes from the log goes through `visible` first: nothing reaches the terminal raw. */
const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
/** Prints a value as JSON, with the same characters written as JSON escapes. */
const printJson = (value: unknown) =>
  process.stdout.write(`${visibleJson(JSON.stringify(value, null, 2))}\n`);

/** --actor, held to the rule of every actor (no control or invisible characters). */
function actorOption(value: string | undefined): string {
  const parsed = Label.safeParse(value);
  if (!parsed.success) throw new CliFailure(`--actor ${parsed.error.issues[0]?.message}`, EXIT.usage);
  return parsed.data;
}

function required(values: Record<string, unknown>, ...names: string[]) {
  for (const name of names)
    if (typeof values[name] !== 'string' || values[name] === '')
      throw new CliFailure(`--${name} is required`, EXIT.usage);
}

async function run(argv: string[]): Promise<number> {
  // Its own options (an --actor that defaults to the owner, --unit, --expires-at…): parsed there.
  if (argv[0] === 'access') return runAccess(argv.slice(1), { print, printJson });
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliFailure((error as Error).message, EXIT.usage);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === 'help') {
    const [about] = rest;
    if (about !== undefined && !Object.hasOwn(HELP, about))
      throw new CliFailure(`unknown command ${about}; see ledger help`, EXIT.usage);
    print(usageOf(about));
    return EXIT.ok;
  }
  if (values.help || !command) {
    print(usageOf(command));
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (values.period !== undefined && !PeriodSchema.safeParse(values.period).success)
    throw new CliFailure(
      `--period ${values.period} is not a period: a year (2023), a quarter (2023-Q4) or a month (2023-12)`,
      EXIT.usage,
    );
  const store = openStore();
  try {
    switch (command) {
      case 'replay':
      case 'export': {
        required(values, 'methodology', 'period');
        let log = await readLog(store);
        let leaves = '';
        if (values.checkpoint) {
          const kept = await readCheckpointFile(values.checkpoint);
          const key = await verifierKey({
            key: values.key,
            keyFile: values['key-file'],
            storePath: storePath(),
          });
          const { checkpoint } = verifyLog(log, key, kept);
          log = log.slice(0, checkpoint?.size);
          leaves = ` from the ${checkpoint?.size} leaves of checkpoint ${checkpoint?.root}`;
        }
        const index = fold(log);
        const request = {
          methodologyId: values.methodology as string,
          period: values.period as string,
          ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
          ...(values['parent-id'] ? { parentId: values['parent-id'] } : {}),
        };
        const position = positionFor(index, request.asOf);
        const report = replayRanking(index, request, position);
        const stamp = () => stamper(log, index)(position, request.asOf);
        if (command === 'export') {
          if (values.format !== 'csv' && values.format !== 'json')
            throw new CliFailure('--format is csv or json', EXIT.usage);
          if (values.format === 'json') printJson({ ...stamp(), ...report });
          else process.stdout.write(rankingCsv(report));
          return EXIT.ok;
        }
        if (!values.against) {
          if (values.json) printJson({ ...stamp(), ...report });
          else {
            for (const r of report.rows)
              print(`${r.rank}\t${visible(r.unitId)}\t${visible(r.unitName)}\t${r.total}`);
            if (leaves) print(`computed at position ${position}${leaves}`);
          }
          return EXIT.ok;
        }
        const divergence = await compareWithServed(
          index,
          log,
          request,
          position,
          values.against.replace(/\/$/, ''),
        );
        if (values.json)
          printJson({ verified: !divergence, position, ...(divergence ? { divergence } : {}) });
        if (!divergence) {
          if (!values.json)
            print(
              `verified: ${report.rows.length} rows of ${request.methodologyId} ${request.period} at position ${position} equal the replay`,
            );
          return EXIT.ok;
        }
        throw new CliFailure(
          `differs from position ${divergence.position}${divergence.event ? ` (${divergence.event.type} ${divergence.event.eventId})` : ''}: ${divergence.path || 'the ranking'}: served ${JSON.stringify(divergence.served)}, replayed ${JSON.stringify(divergence.replayed)}`,
          EXIT.failed,
        );
      }
      case 'diff': {
        required(values, 'methodology', 'period', 'from');
        const log = await readLog(store);
        const index = fold(log);
        const result = diff(index, log, {
          methodologyId: values.methodology as string,
          period: values.period as string,
          from: values.from as string,
          ...(values.to ? { to: values.to } : {}),
          ...(values['parent-id'] ? { parentId: values['parent-id'] } : {}),
        });
        if (values.json) {
          const stamp = stamper(log, index);
          printJson({
            ...result,
            from: { ...result.from, ...stamp(result.from.position, values.from) },
            to: { ...result.to, ...stamp(result.to.position, values.to) },
          });
        } else
          for (const c of result.changes) {
            print(
              `${visible(c.unitName)} (${visible(c.unitId)}): rank ${c.rankFrom ?? '–'} → ${c.rankTo ?? '–'}, total ${c.totalFrom === null ? '–' : display(c.totalFrom)} → ${c.totalTo === null ? '–' : display(c.totalTo)}`,
            );
            for (const e of c.causes)
              if (e)
                print(
                  `  ${e.recordedAt}  ${visible(e.type)}  by ${visible(String(e.metadata.actor))}  ${visibleJson(JSON.stringify(e.data))}`,
                );
          }
        return EXIT.ok;
      }
      case 'import': {
        const [file] = rest;
        if (!file) throw new CliFailure('import needs a file', EXIT.usage);
        const outcome = await importFile(store, file, actorOption(values.actor));
        if (values.json) printJson(outcome);
        else
          print(
            `recorded ${outcome.results.length} events, positions ${outcome.results[0]?.position}–${outcome.results.at(-1)?.position}`,
          );
        return EXIT.ok;
      }
      case 'seal': {
        const { recorded, seal } = await sealLedger(store, actorOption(values.actor), values.reason ?? null);
        if (values.json) printJson({ recorded, ...seal });
        else
          print(
            `${recorded ? 'sealed' : 'already sealed'} at position ${seal.position}, ${seal.recordedAt}, by ${visible(seal.actor)}${seal.reason ? `: ${visible(seal.reason)}` : ''}`,
          );
        return EXIT.ok;
      }
      case 'proof': {
        const number = (name: 'position' | 'size' | 'from' | 'to') => {
          const value = values[name];
          if (value === undefined) return undefined;
          if (!/^\d+$/.test(value)) throw new CliFailure(`--${name} must be a whole number`, EXIT.usage);
          return Number(value);
        };
        const request = {
          position: number('position'),
          size: number('size'),
          from: number('from'),
          to: number('to'),
        };
        const defined = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
        printJson(proofFromLog(await readLog(store), defined));
        return EXIT.ok;
      }
      case 'verify': {
        const log = await readLog(store);
        const key = await verifierKey({
          key: values.key,
          keyFile: values['key-file'],
          storePath: storePath(),
        });
        const kept = values.checkpoint ? await readCheckpointFile(values.checkpoint) : undefined;
        const result = verifyLog(log, key, kept);
        if (values.json) printJson({ verified: true, ...result });
        else
          print(
            `verified: ${result.size} events; ${result.recordedCheckpoints} checkpoints recorded in the log match it${result.checkpoint ? `; it extends the checkpoint given (size ${result.checkpoint.size})` : ''}`,
          );
        return EXIT.ok;
      }
      default:
        throw new CliFailure(`unknown command ${command}; see ledger --help`, EXIT.usage);
    }
  } finally {
    await store.close();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof CliFailure) {
    process.stderr.write(`ledger: ${visible(error.message)}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof Rejection) {
    const p = toProblem(error);
    const detail = p.errors?.map((e) => `${e.path}: ${e.message}`).join('; ') ?? p.detail;
    process.stderr.write(`ledger: refused (${p.status}): ${visible(detail)}\n`);
    process.exitCode = EXIT.failed;
  } else {
    process.stderr.write(`ledger: ${visible((error as Error).message)}\n`);
    process.exitCode = EXIT.failed;
  }
}
