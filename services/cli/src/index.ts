export * from './commands/diff.ts';
export * from './commands/export.ts';
export * from './commands/import.ts';
export * from './commands/replay.ts';
export * from './commands/verify.ts';
export * from './compare.ts';
export * from './failure.ts';
