export * from './leaf-hashes.ts';
export * from './log-routes.ts';
export * from './mount.ts';
export * from './projection.ts';
export * from './read-model-db.ts';
export * from './routes.ts';
export * from './transparency.ts';
export * from './verify-replay.ts';
