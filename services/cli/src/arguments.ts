import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { CliFailure, EXIT } from './failure.ts';

/** A command line parsed against its options; an unknown or malformed option is bad usage (exit 2). */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true });
  } catch (error) {
    throw new CliFailure((error as Error).message, EXIT.usage);
  }
}
