import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one object a line, with ISO times; LOG_LEVEL sets the level. */
export const createLogger = (service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger =>
  pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
