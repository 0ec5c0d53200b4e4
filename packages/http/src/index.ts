export * from './app.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './ops.ts';
export * from './problem.ts';
export * from './query.ts';
export * from './server.ts';
