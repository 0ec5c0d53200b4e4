export * from './deterministic-id.ts';
export * from './reports.ts';
export * from './worker.ts';
