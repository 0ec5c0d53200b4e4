import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks real answers against the OpenAPI document the server serves: every answer the test suite
 * gets (support.ts `call`) must be one the document describes, status and body.
 */
export type DocumentCheck = (
  method: string,
  path: string,
  status: number,
  contentType: string,
  body: unknown,
) => void;

interface Document {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

const pointerSegment = (segment: string) =>
  encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

export function documentCheck(document: Document): DocumentCheck {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats.default(ajv);
  ajv.addSchema(document, 'doc');
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const compiled = new Map<string, ValidateFunction>();
  return (method, url, status, contentType, body) => {
    const path = url.split('?')[0] as string;
    // The most specific template: /v1/units/{id} before /v1/units/{unitId}/scorecard/…
    const found = templates.filter((t) => t.pattern.test(decodeURIComponent(path)) || t.pattern.test(path));
    const op = found
      .map((t) => ({ t, op: document.paths[t.template]?.[method.toLowerCase()] }))
      .find((f) => f.op);
    if (!op?.op) {
      if (status === 404 || status === 405) return;
      throw new Error(`${method} ${path} answered ${status}, and the OpenAPI document has no such operation`);
    }
    const response = op.op.responses[String(status)];
    if (!response)
      throw new Error(
        `${method} ${op.t.template} answered ${status}, which the OpenAPI document does not list`,
      );
    const media = contentType.split(';')[0]?.trim() ?? '';
    if (!response.content) return;
    if (!(media in response.content))
      throw new Error(
        `${method} ${op.t.template} ${status} answered ${media}; the document says ${Object.keys(response.content)}`,
      );
    if (media === 'text/plain') return;
    const pointer = [
      'paths',
      op.t.template,
      method.toLowerCase(),
      'responses',
      String(status),
      'content',
      media,
      'schema',
    ]
      .map(pointerSegment)
      .join('/');
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.getSchema(`doc#/${pointer}`) as ValidateFunction;
      compiled.set(pointer, validate);
    }
    if (!validate(body))
      throw new Error(
        `${method} ${op.t.template} ${status}: the answer does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
      );
  };
}
