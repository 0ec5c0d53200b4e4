export * from './authentication.ts';
export * from './checkpoints.ts';
export * from './config.ts';
export * from './crash.ts';
export * from './guard.ts';
export * from './module.ts';
export * from './shell.ts';
export * from './topics.ts';
