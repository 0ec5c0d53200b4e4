import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AllInOneConfig } from '@ledger/all-in-one';
import { ServiceConfig, serviceConfig } from '@ledger/runtime';
import { describe, expect, it } from 'vitest';
import { loadCompose, validateCompose } from './compose-spec.ts';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const COMPOSE = root('docker-compose.yml');
const DOCKERFILE = root('infra/docker/Dockerfile');

interface Service {
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  user?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

const compose = loadCompose(COMPOSE) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const SPLIT = { ingestion: 8081, scoring: 8082, projection: 8083 } as const;
const broker = Object.entries(services).find(([, s]) => s.image?.startsWith('apache/kafka'));
const kurrentdb = services.kurrentdb;

function dockerCompose(): string | undefined {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch {
    return 'the docker CLI has no compose plugin here';
  }
}
const noCompose = dockerCompose();

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    expect(validateCompose(compose)).toEqual([]);
    // The check can fail: a wrong depends_on condition and an unknown key are caught.
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    (broken.services.ingestion as Record<string, unknown>).depends_on = {
      kurrentdb: { condition: 'service_ready' },
    };
    (broken.services.scoring as Record<string, unknown>).readonly = true;
    expect(validateCompose(broken).join('\n')).toMatch(/condition[\s\S]*readonly/);
  });

  it('is accepted by `docker compose config`', ({ skip }) => {
    if (noCompose !== undefined) return skip(noCompose);
    execFileSync('docker', ['compose', '-f', COMPOSE, 'config', '--quiet'], {
      stdio: 'pipe',
      timeout: 30_000,
    });
  });

  it('runs KurrentDB single-node, insecure only as a marked dev setting, on a data volume, with a health check', () => {
    expect(kurrentdb?.image).toMatch(/kurrentdb/);
    expect(kurrentdb?.environment?.KURRENTDB_CLUSTER_SIZE).toBe('1');
    expect(kurrentdb?.environment?.KURRENTDB_INSECURE).toBe('true');
    const text = readFileSync(COMPOSE, 'utf8');
    const insecureLine = text.split('\n').findIndex((line) => line.includes('KURRENTDB_INSECURE'));
    expect(text.split('\n')[insecureLine - 1]).toMatch(/DEV ONLY/);
    expect(kurrentdb?.volumes).toContain('kurrentdb-data:/var/lib/kurrentdb');
    expect(compose.volumes).toHaveProperty('kurrentdb-data');
  });

  it('runs the broker in KRaft mode with the single-broker settings of infra/kafka/broker.sh', () => {
    expect(broker).toBeDefined();
    const env = broker?.[1].environment ?? {};
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const script = readFileSync(root('infra/kafka/broker.sh'), 'utf8');
    const keys = [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
      'default.replication.factor',
      'min.insync.replicas',
      'auto.create.topics.enable',
      'group.initial.rebalance.delay.ms',
    ];
    for (const key of keys) {
      const inScript = new RegExp(`^${key.replaceAll('.', '\\.')}=(.*)$`, 'm').exec(script)?.[1];
      expect(inScript, key).toBeDefined();
      expect(env[`KAFKA_${key.toUpperCase().replaceAll('.', '_')}`], key).toBe(inScript);
    }
  });

  it('gives every service a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.healthcheck?.disable, name).not.toBe(true);
    }
  });

  it('starts the services once the store and the broker are healthy, each configured as docs/operations.md says', () => {
    for (const [name, port] of Object.entries(SPLIT)) {
      const service = services[name];
      expect(service?.command, name).toEqual([`services/${name}/src/main.ts`]);
      expect(service?.depends_on, name).toEqual({
        kurrentdb: { condition: 'service_healthy' },
        [broker?.[0] ?? '']: { condition: 'service_healthy' },
      });
      // The environment passes the services' own configuration schema.
      const config = serviceConfig(port).parse(service?.environment ?? {}) as ServiceConfig;
      expect(config.PORT, name).toBe(port);
      expect(config.LEDGER_STORE.kind, name).toBe('kurrentdb');
      expect(config.KAFKA_BROKERS, name).toEqual([`${broker?.[0]}:9092`]);
      expect(JSON.stringify(service?.healthcheck?.test), name).toContain(`localhost:${port}/readyz`);
      expect(
        service?.volumes?.some((v) => v.endsWith(':/data')),
        name,
      ).toBe(true);
    }
    const allInOne = services.ledger;
    expect(allInOne?.profiles).toEqual(['all-in-one']);
    expect(AllInOneConfig.parse(allInOne?.environment ?? {}).LEDGER_DATA_DIR).toBe('/data');
  });

  it('runs nothing as root', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.user ?? 'image default', name).not.toMatch(/^(root|0)(:|$)/);
    }
    const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(ours.map(([name]) => name).sort()).toEqual(['ingestion', 'ledger', 'projection', 'scoring']);
    for (const [, service] of ours) expect(service.build?.dockerfile).toBe('infra/docker/Dockerfile');
  });
});

describe('infra/docker/compose.cluster.yml', () => {
  const override = loadCompose(root('infra/docker/compose.cluster.yml')) as {
    services: Record<string, Service>;
  };
  /** What `docker compose -f docker-compose.yml -f …cluster.yml` sees for one service: mappings merged. */
  const merged = (name: string): Service => {
    const base = services[name] ?? {};
    const over = override.services[name] ?? {};
    return {
      ...base,
      ...over,
      environment: { ...base.environment, ...over.environment },
      depends_on: { ...base.depends_on, ...over.depends_on },
    };
  };

  it('is valid against the Compose specification schema', () => {
    expect(validateCompose(override)).toEqual([]);
  });

  it('makes three KurrentDB nodes and three KRaft nodes that know each other, and points the services at them', () => {
    const nodes = ['kurrentdb', 'kurrentdb-2', 'kurrentdb-3'].map(merged);
    for (const node of nodes) {
      expect(node.image).toMatch(/kurrentdb/);
      expect(node.environment?.KURRENTDB_CLUSTER_SIZE).toBe('3');
      expect(node.environment?.KURRENTDB_GOSSIP_SEED?.split(',')).toHaveLength(2);
    }
    const brokers = Object.keys(override.services)
      .filter((name) => /^kafka(-\d)?$/.test(name))
      .map(merged);
    expect(brokers).toHaveLength(3);
    expect(new Set(brokers.map((b) => b.environment?.KAFKA_NODE_ID))).toEqual(new Set(['1', '2', '3']));
    expect(new Set(brokers.map((b) => b.environment?.KAFKA_CONTROLLER_QUORUM_VOTERS)).size).toBe(1);
    expect(new Set(brokers.map((b) => b.environment?.CLUSTER_ID)).size).toBe(1);
    for (const name of Object.keys(SPLIT)) {
      const service = merged(name);
      const config = serviceConfig(SPLIT[name as keyof typeof SPLIT]).parse(
        service.environment,
      ) as ServiceConfig;
      expect(config.LEDGER_STORE.kind).toBe('kurrentdb');
      expect(config.KAFKA_BROKERS).toHaveLength(3);
      expect(config.KAFKA_REPLICATION_FACTOR).toBe(3);
      expect(Object.values(service.depends_on ?? {}).every((d) => d.condition === 'service_healthy')).toBe(
        true,
      );
      expect(Object.keys(service.depends_on ?? {})).toHaveLength(6);
    }
  });
});

describe('infra/docker/Dockerfile', () => {
  const dockerfile = readFileSync(DOCKERFILE, 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.reduce<string[][]>((all, line) => {
    if (/^FROM\s/i.test(line)) all.push([]);
    all.at(-1)?.push(line);
    return all;
  }, []);

  it('is multi-stage on Node 24 slim, installs production dependencies from the lockfile, and has no build step', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:24-slim/);
    expect(dockerfile).toMatch(/pnpm install --offline --frozen-lockfile --prod/);
    expect(dockerfile).not.toMatch(/\btsc\b|pnpm (run )?build/);
  });

  it('runs the final stage as an unprivileged user that can write only /data', () => {
    const final = stages.at(-1) ?? [];
    const user = final.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user?.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    expect(final.join('\n')).toMatch(/chown node:node \/data/);
    expect(final.some((line) => /^COPY --from=deps \/app \/app$/.test(line))).toBe(true);
  });

  it('keeps tests, local data and node_modules out of the build context', () => {
    const ignore = readFileSync(root('.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/data', '**/test/**', '!test/*/package.json', '.git']) {
      expect(ignore).toContain(pattern);
    }
  });
});

describe('docs/deploy.md', () => {
  const doc = readFileSync(root('docs/deploy.md'), 'utf8');

  it('documents every environment variable the services and the all-in-one server read', () => {
    const variables = [
      ...Object.keys(ServiceConfig.shape),
      ...Object.keys(AllInOneConfig.shape),
      'KURRENTDB_URL',
    ];
    for (const name of new Set(variables)) expect(doc, name).toContain(`\`${name}\``);
  });

  it('covers clusters, backups and rebuilding projections', () => {
    for (const topic of [
      'KURRENTDB_CLUSTER_SIZE',
      'kurrentdb+discover://',
      'KAFKA_CONTROLLER_QUORUM_VOTERS',
      'VACUUM INTO',
    ]) {
      expect(doc).toContain(topic);
    }
    expect(doc).toContain('/v1/ops/projections/as-of-index/rebuild');
  });
});
