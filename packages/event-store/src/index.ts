export * from './credentials.ts';
export * from './errors.ts';
export * from './in-log.ts';
export * from './pages.ts';
export * from './port.ts';
export * from './rules.ts';
export * from './subscription.ts';
