export * from './deterministic-id.ts';
export * from './scorer.ts';
export * from './thread.ts';
export * from './worker.ts';
