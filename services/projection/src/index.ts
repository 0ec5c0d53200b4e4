export * from './projection.ts';
export * from './routes.ts';
