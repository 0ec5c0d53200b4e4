export * from './deterministic-id.ts';
export * from './scorer.ts';
export * from './worker.ts';
