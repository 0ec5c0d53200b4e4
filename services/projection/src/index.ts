export * from './projection.ts';
export * from './read-model-db.ts';
export * from './routes.ts';
