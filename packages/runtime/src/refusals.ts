import { randomUUID } from 'node:crypto';
import { type Bus, topics } from '@ledger/bus';
import { type Logger, type Problem, type RejectedCommand, refusedInput } from '@ledger/http';
import type { RequestHandler } from 'express';

/**
 * Puts every command the door refused over HTTP on the rejected topic, beside the Kafka records
 * ingestion refuses, so that an integrator sees all of its refusals in one place
 * (`GET /v1/refusals`). Only a principal's: a request without a valid credential (401) is counted
 * and logged, never kept, or anyone could fill the journal. Published once the answer is sent: a
 * bus that fails costs a log line, never the answer.
 */
export function recordHttpRefusals(bus: Bus, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    res.on('finish', () => {
      const problem = res.locals.problem as Problem | undefined;
      const principalId = req.principal?.id;
      if (!problem || res.statusCode < 400 || res.statusCode >= 500 || principalId === undefined) return;
      const refusal: RejectedCommand = {
        refusalId: randomUUID(),
        source: { http: { method: req.method, path: req.path, requestId: req.requestId } },
        principalId,
        key: principalId,
        headers: {},
        record: refusedInput(req.body),
        problem,
        rejectedAt: new Date().toISOString(),
      };
      bus
        .publish(topics.rejectedCommands, [
          { key: principalId, value: refusal, headers: { 'rejection-status': String(problem.status) } },
        ])
        .catch((err) =>
          logger.warn({ err, requestId: req.requestId }, 'a refusal could not be put on the rejected topic'),
        );
    });
    next();
  };
}
