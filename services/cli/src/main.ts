import { Label, PeriodSchema, visible, visibleJson } from '@ledger/domain';
import { display } from '@ledger/reports';
import { parseCommandLine } from './arguments.ts';
import { ACCESS_USAGE, runAccess } from './commands/access.ts';
import { diff } from './commands/diff.ts';
import { rankingCsv } from './commands/export.ts';
import { importFile } from './commands/import.ts';
import { compareWithServed, positionFor, replayRanking } from './commands/replay.ts';
import { rotateKey } from './commands/rotate-key.ts';
import { sealLedger } from './commands/seal.ts';
import { stamper } from './commands/stamp.ts';
import {
  proofFromLog,
  readCheckpointFile,
  verificationLines,
  verifierKeys,
  verifyLog,
} from './commands/verify.ts';
import { fold, openStore, readLog, storePath } from './event-log.ts';
import { CliFailure, EXIT } from './failure.ts';
import { type CliIo, cliIo, exitCodeOf, printers } from './run.ts';

/** Each command's usage, as `ledger <command> --help` and `ledger help <command>` print it. */
const HELP: Record<string, string> = {
  replay: `  replay  --methodology ID --period P [--as-of D] [--parent-id ID] [--against URL] [--json]
          rebuild a ranking from the raw log; with --against, compare it field by field with what
          the ledger at URL serves (reading with LEDGER_CREDENTIAL, if set) and report the first
          event at which they diverge`,
  diff: `  diff    --methodology ID --period P --from D1 [--to D2] [--json]
          what changed in a ranking between two dates, and the events that caused it`,
  export: `  export  --methodology ID --period P [--as-of D] [--format csv|json]
          a ranking as of D, as CSV (default) or JSON, on stdout`,
  import: `  import  FILE.json|FILE.csv [--actor NAME]
          record a batch of commands, all or nothing (with its recordedAt only while the ledger is open)`,
  seal: `  seal    [--reason TEXT] [--actor NAME]
          seal the ledger: from then on every write is recorded at its clock, and recordedAt is refused`,
  verify: `  verify  [--checkpoint FILE [--witness KEY]...] [--key KEY]... [--key-file FILE]... [--strict]
          check the log against the signed checkpoints it records and, with --checkpoint, against a
          checkpoint you kept: every event since is unaltered, nothing removed, inserted, reordered
          or truncated. The keys are those you pinned (a --key-file is a keyring: one key per line);
          the key statements the log records are followed from them, rotations and losses; --strict
          fails on a recorded key loss; each --witness must have cosigned the checkpoint given
          (C2SP tlog-cosignature). replay --checkpoint FILE first does this, then ranks from
          those leaves only`,
  proof: `  proof   --position P [--size N]  |  --from M [--to N]
          an RFC 9162 inclusion proof of the event at position P, or a consistency proof between
          tree sizes M and N, computed from the log (JSON)`,
  'rotate-key': `  rotate-key --server URL [--reason TEXT]
          ask the ledger at URL to rotate its log signing key (ops; the credential in
          LEDGER_CREDENTIAL): the log records a statement signed by the old key and the new`,
  access: ACCESS_USAGE,
};

const FOOTER = `Dates: ISO-8601; a bare date is the end of that day in Asia/Ho_Chi_Minh (UTC+7).
Exit codes: 0 done or verified; 1 verification failed or refused; 2 bad usage or input.`;

const USAGE = `ledger <command> [options]   (reads the store LEDGER_STORE names: sqlite:<path> or kurrentdb://…;
                             default $LEDGER_DATA_DIR/ledger.sqlite, LEDGER_DATA_DIR default ./data;
                             on KurrentDB, verify needs --key, --key-file or LEDGER_LOG_VERIFIER_KEY)

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
  key: { type: 'string', multiple: true },
  'key-file': { type: 'string', multiple: true },
  strict: { type: 'boolean', default: false },
  witness: { type: 'string', multiple: true },
  server: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

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

/**
 * Runs a command line to its exit code, a failure written as one line on stderr. Importable: a test
 * runs the CLI in-process with its own environment, output buffers and store (run.ts).
 */
export const run = (argv: string[], given: Partial<CliIo> = {}): Promise<number> => {
  const io = cliIo(given);
  return exitCodeOf(() => dispatch(argv, io), io.stderr);
};

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const { print, printJson } = printers(io.stdout);
  // Its own options (an --actor that defaults to the owner, --unit, --expires-at…): parsed there.
  if (argv[0] === 'access') return runAccess(argv.slice(1), { print, printJson }, io.env, io.openStore);
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
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
  if (command === 'rotate-key') {
    const change = await rotateKey({ server: values.server, reason: values.reason, env: io.env });
    if (values.json) printJson(change);
    else
      print(
        `rotated at position ${change.position} (tree size ${change.size}): ${visible(change.previousKey)} → ${visible(change.verifierKey)}`,
      );
    return EXIT.ok;
  }
  const store = openStore(io.env, io.openStore);
  try {
    switch (command) {
      case 'replay':
      case 'export': {
        required(values, 'methodology', 'period');
        let log = await readLog(store);
        let leaves = '';
        if (values.checkpoint) {
          const kept = await readCheckpointFile(values.checkpoint);
          const keys = await verifierKeys({
            keys: values.key,
            keyFiles: values['key-file'],
            storePath: storePath(io.env),
            env: io.env,
          });
          const { checkpoint } = verifyLog(log, keys, kept, { strict: values.strict });
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
          else io.stdout.write(rankingCsv(report));
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
          io.env.LEDGER_CREDENTIAL?.trim() || undefined,
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
        const keys = await verifierKeys({
          keys: values.key,
          keyFiles: values['key-file'],
          storePath: storePath(io.env),
          env: io.env,
        });
        const kept = values.checkpoint ? await readCheckpointFile(values.checkpoint) : undefined;
        const result = verifyLog(await readLog(store), keys, kept, {
          strict: values.strict,
          witnesses: values.witness ?? [],
        });
        if (values.json) printJson({ verified: true, ...result });
        else for (const line of verificationLines(result)) print(line);
        for (const loss of result.losses)
          io.stderr.write(
            `ledger: warning: the log records the loss of key ${visible(loss.lostKey)} at position ${loss.position}; from there, only the log vouches for ${visible(loss.nextKey)}\n`,
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

// The entry point (`pnpm ledger`), not an import of it.
if (import.meta.main) process.exitCode = await run(process.argv.slice(2));
