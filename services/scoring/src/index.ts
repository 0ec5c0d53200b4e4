export * from './deterministic-id.ts';
export * from './follower.ts';
export * from './mount.ts';
export * from './scorer.ts';
export * from './thread.ts';
