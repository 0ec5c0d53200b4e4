export * from './bootstrap.ts';
export * from './command-consumer.ts';
export * from './idempotency.ts';
export * from './ingest.ts';
export * from './mount.ts';
export * from './relay.ts';
export * from './routes.ts';
export * from './write-model.ts';
