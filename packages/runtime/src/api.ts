import { type Operation, openApiDocument } from '@ledger/http';
import { z } from 'zod';

/** The API's version in its OpenAPI document; it changes when an answer or a request changes shape. */
export const API_VERSION = '1.0.0';

/** The operations the shell serves itself (shell.ts). */
export const SHELL_OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'The process runs',
    tag: 'probes',
    access: 'open',
    responses: {
      200: {
        description: 'Alive',
        schema: z.looseObject({ status: z.literal('ok'), service: z.string().optional() }),
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this process (text exposition format 0.0.4)',
    description: 'Open like the probes: firewall it (docs/operations.md, "Metrics").',
    tag: 'probes',
    access: 'open',
    responses: { 200: { description: 'The metrics, as Prometheus scrapes them', text: true } },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document: the operations this process serves',
    tag: 'probes',
    access: 'open',
    responses: { 200: { description: 'An OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get',
    path: '/v1/ops/denials',
    summary: 'The 401 and 403 answers of this process since it started',
    tag: 'ops',
    access: 'credential',
    responses: {
      200: {
        description: 'The counts',
        schema: z.looseObject({
          unauthenticated: z.number().int().min(0),
          forbidden: z.number().int().min(0),
        }),
      },
    },
  },
];

/** The document of a process: the shell's operations, its modules', and the ops router's. */
export const processDocument = (service: string | undefined, operations: readonly Operation[]) =>
  openApiDocument(operations, {
    title: service ? `Indicator ledger: ${service}` : 'Indicator ledger',
    version: API_VERSION,
  });
