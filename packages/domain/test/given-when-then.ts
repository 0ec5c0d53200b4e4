import { expect } from 'vitest';
import type { Command } from '../src/commands.ts';
import { type DecideContext, type Decision, decide } from '../src/decide.ts';
import { Rejection, type RejectionKind } from '../src/errors.ts';
import { ledgerDay } from '../src/instants.ts';
import { evolveWriteState, forkWriteState } from '../src/write-state.ts';
import { catalogLedger, pathsOf, type TestLedger } from './fixtures.ts';

/**
 * Given/When/Then over `decide`, in the manner of Emmett's DeciderSpecification:
 *
 *   given(submission, (s) => retraction(s.submission()))
 *     .when((s) => correction(s.submission(), 80))
 *     .thenRejects('conflict', 'submissionId');
 *
 * Given records its commands on a TestLedger (by default the catalog: the national unit, four
 * provinces and the Decision 766 indicators), so it builds state the way the ingestion does. When
 * only decides: the Given's ledger is left as it was, so one Given can be put to several Whens.
 * Several commands in one When are decided as a batch is: against a fork of the write state, each
 * seeing the ones before it.
 */

/** What a step can refer to: the submissions recorded so far (in Given, then earlier in the When). */
export interface SoFar {
  /** The id of the n-th submission so far (0-based; negative counts from the end; default: the last). */
  submission(n?: number): string;
}

/** A command, or one made from what was recorded before it (to name a submission's id, say). */
export type Step = Command | ((soFar: SoFar) => Command);

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Records `steps` on the catalog ledger. */
export const given = (...steps: Step[]): Given => new Given(catalogLedger(), steps);

/** Records `steps` on `ledger` (a `new TestLedger()` knows nothing). */
export const givenOn = (ledger: TestLedger, ...steps: Step[]): Given => new Given(ledger, steps);

export class Given implements SoFar {
  readonly ledger: TestLedger;
  readonly #submissions: string[] = [];

  constructor(ledger: TestLedger, steps: readonly Step[]) {
    this.ledger = ledger;
    for (const [i, step] of steps.entries()) {
      const command = resolve(step, this);
      let decision: Decision;
      try {
        decision = ledger.decide(command);
      } catch (error) {
        if (!(error instanceof Rejection)) throw error;
        throw new Error(
          `Given step ${i + 1} of ${steps.length} (${describeCommand(command)}) was rejected, ` +
            `so the test's setup is wrong: ${describeRejection(error)}`,
        );
      }
      ledger.append(decision, ledger.clock);
      if (decision.submissionId !== undefined) this.#submissions.push(decision.submissionId);
    }
  }

  submission(n = -1): string {
    return nth(this.#submissions, n);
  }

  /** Decides the command; several are decided in turn as one batch. Nothing is recorded. */
  when(...steps: [Step, ...Step[]]): When {
    return new When(this.ledger, [...this.#submissions], steps, {});
  }
}

interface Outcome {
  readonly commands: readonly Command[];
  readonly decisions: readonly Decision[];
  /** The command that was rejected (the last of `commands`), if one was. */
  readonly rejection?: Rejection;
}

export class When {
  readonly #ledger: TestLedger;
  readonly #submissions: readonly string[];
  readonly #steps: readonly Step[];
  readonly #ctx: Partial<DecideContext>;

  constructor(
    ledger: TestLedger,
    submissions: readonly string[],
    steps: readonly Step[],
    ctx: Partial<DecideContext>,
  ) {
    this.#ledger = ledger;
    this.#submissions = submissions;
    this.#steps = steps;
    this.#ctx = ctx;
  }

  /** The same commands, decided with `ctx` (e.g. `{ submissionAddressedBy: 'path' }`). */
  withContext(ctx: Partial<DecideContext>): When {
    return new When(this.#ledger, this.#submissions, this.#steps, { ...this.#ctx, ...ctx });
  }

  /** Every command is accepted, deciding exactly `expected` (one decision a command). */
  thenDecides(...expected: Decision[]): readonly Decision[] {
    const { commands, decisions } = this.#accepted(expected.length);
    expect(decisions, `the decisions for ${describeCommands(commands)}`).toEqual(expected);
    return decisions;
  }

  /** Every command is accepted, each decision matching its `expected` (toMatchObject). */
  thenMatches(...expected: DeepPartial<Decision>[]): readonly Decision[] {
    const { commands, decisions } = this.#accepted(expected.length);
    expect(decisions, `the decisions for ${describeCommands(commands)}`).toMatchObject(expected);
    return decisions;
  }

  /** Every command is accepted, whatever it decides. */
  thenAccepts(): readonly Decision[] {
    return this.#accepted().decisions;
  }

  /**
   * The last command is rejected (and any before it accepted) as `kind`, naming exactly the field
   * `path` (none when left out), with a message containing or matching `message` when given.
   */
  thenRejects(kind: RejectionKind, path?: string, message?: string | RegExp): Rejection {
    const { commands, decisions, rejection } = this.#run();
    const last = commands.at(-1) as Command;
    if (!rejection) {
      const decision = decisions.at(-1) as Decision;
      throw new Error(
        `Expected ${describeCommand(last)} to be rejected as ${kind}${path === undefined ? '' : ` at ${path}`}, ` +
          `but it was accepted: ${describeDecision(decision)}`,
      );
    }
    if (commands.length < this.#steps.length)
      throw new Error(
        `Expected only the last command of the batch to be rejected, but command ${commands.length} of ` +
          `${this.#steps.length} (${describeCommand(last)}) was: ${describeRejection(rejection)}`,
      );
    const about = `the rejection of ${describeCommand(last)} ("${rejection.message}")`;
    expect({ kind: rejection.kind, paths: pathsOf(rejection) }, about).toEqual({
      kind,
      paths: path === undefined ? [] : [path],
    });
    if (typeof message === 'string') expect(rejection.message, about).toContain(message);
    else if (message) expect(rejection.message, about).toMatch(message);
    return rejection;
  }

  #accepted(expectedCount?: number): Outcome {
    if (expectedCount !== undefined && expectedCount !== this.#steps.length)
      throw new Error(
        `thenDecides and thenMatches list ${expectedCount} decision(s) for the When's ${this.#steps.length} command(s)`,
      );
    const outcome = this.#run();
    if (outcome.rejection) {
      const { commands, rejection } = outcome;
      const which = this.#steps.length > 1 ? ` (command ${commands.length} of ${this.#steps.length})` : '';
      throw new Error(
        `Expected ${describeCommand(commands.at(-1) as Command)}${which} to be accepted, ` +
          `but it was rejected: ${describeRejection(rejection)}`,
      );
    }
    return outcome;
  }

  #run(): Outcome {
    const ledger = this.#ledger;
    const batch = this.#steps.length > 1;
    // A single command is decided against the ledger's state itself (decide is pure); a batch
    // against a fork, which each decision is folded into.
    const state = batch ? forkWriteState(ledger.state) : ledger.state;
    const ctx: DecideContext = { newId: ledger.newId, today: ledgerDay(ledger.clock), ...this.#ctx };
    const submissions = [...this.#submissions];
    const soFar: SoFar = { submission: (n = -1) => nth(submissions, n) };
    const commands: Command[] = [];
    const decisions: Decision[] = [];
    for (const step of this.#steps) {
      const command = resolve(step, soFar);
      commands.push(command);
      let decision: Decision;
      try {
        decision = decide(command, state, ctx);
      } catch (error) {
        if (error instanceof Rejection) return { commands, decisions, rejection: error };
        throw error;
      }
      decisions.push(decision);
      if (batch) evolveWriteState(state, decision.streamId, decision.event);
      if (decision.submissionId !== undefined) submissions.push(decision.submissionId);
    }
    return { commands, decisions };
  }
}

const resolve = (step: Step, soFar: SoFar): Command => (typeof step === 'function' ? step(soFar) : step);

function nth(submissions: readonly string[], n: number): string {
  const id = submissions.at(n);
  if (id === undefined)
    throw new Error(
      `there is no ${n === -1 ? 'last submission' : `submission ${n}`} among the ${submissions.length} recorded so far`,
    );
  return id;
}

function describeCommand(command: Command): string {
  const body = JSON.stringify(command.body);
  return `the ${command.type} ${body.length > 200 ? `${body.slice(0, 199)}…` : body}`;
}

const describeCommands = (commands: readonly Command[]): string =>
  commands.length === 1
    ? describeCommand(commands[0] as Command)
    : `the batch ${commands.map(describeCommand).join(', ')}`;

function describeRejection(rejection: Rejection): string {
  const paths = pathsOf(rejection);
  return `${rejection.kind}${paths.length > 0 ? ` at ${paths.join(', ')}` : ''} — ${rejection.message}`;
}

const describeDecision = (decision: Decision): string =>
  `${decision.event.type} on ${decision.streamId} at expected revision ${decision.expectedRevision}`;
