export * from './adapters.ts';
export * from './config.ts';
export * from './crash.ts';
export * from './service.ts';
export * from './topics.ts';
