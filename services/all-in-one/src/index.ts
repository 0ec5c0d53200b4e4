export * from './config.ts';
export * from './demo.ts';
export * from './server.ts';
