export * from './commands-topics.ts';
export * from './in-process.ts';
export * from './port.ts';
