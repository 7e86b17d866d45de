import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  appServices,
  loadConfigSchema,
  dependsOn,
  environmentOf,
  healthcheckCommand,
  readEnvExample,
  readRawCompose,
  readRepoFile,
  repoRoot,
  resolveWithComposeCli,
  ComposeValidationError,
  type AppService,
  type ComposeFile,
} from './support/repo';

/** What each application container needs healthy before it starts. */
const needs: Record<AppService, string[]> = {
  'api-gateway': ['etcd', 'rabbitmq', 'user-service', 'product-service', 'order-service', 'inventory-service', 'notification-service'],
  'user-service': ['etcd', 'postgres', 'rabbitmq'],
  'product-service': ['etcd', 'mongo', 'rabbitmq'],
  'order-service': ['etcd', 'postgres', 'rabbitmq'],
  'inventory-service': ['etcd', 'mongo', 'rabbitmq'],
  'notification-service': ['etcd', 'mongo', 'rabbitmq', 'mailpit'],
};

/** The only application service with a published port; the others scale with `--scale`. */
const edge: AppService = 'api-gateway';

/** Not an address of another container: the host this instance advertises (`auto`: its own IPv4). */
const selfAddress = 'ADVERTISE_HOST';

/** The planned environment; each service's config schema reads a subset (checked below). */
const plannedVariables = [
  'NODE_ENV', 'LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS',
  'RABBITMQ_URL', 'RABBITMQ_PREFETCH', 'RABBITMQ_MAX_RETRIES', 'RABBITMQ_RETRY_BASE_MS',
  'JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE',
  'GATEWAY_PORT', 'USER_SERVICE_PORT', 'PRODUCT_SERVICE_PORT', 'ORDER_SERVICE_PORT', 'INVENTORY_SERVICE_PORT', 'NOTIFICATION_SERVICE_PORT',
  'USER_SERVICE_URL', 'PRODUCT_SERVICE_URL', 'ORDER_SERVICE_URL', 'INVENTORY_SERVICE_URL', 'NOTIFICATION_SERVICE_URL',
  'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'USER_DB_NAME', 'ORDER_DB_NAME',
  'MONGO_URL', 'MONGO_PORT', 'PRODUCT_DB_NAME', 'INVENTORY_DB_NAME', 'NOTIFICATION_DB_NAME',
  'RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_PORT', 'RABBITMQ_MANAGEMENT_PORT',
  'JWT_PRIVATE_KEY', 'JWT_KEY_ID', 'ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_SECONDS', 'BCRYPT_COST', 'ADMIN_EMAIL', 'ADMIN_PASSWORD',
  'SMTP_HOST', 'SMTP_PORT', 'SMTP_FROM', 'SMTP_UI_PORT',
  'DISCOVERY', 'ETCD_HOSTS', 'REGISTRY_TTL_SECONDS', 'REGISTRY_NAMESPACE', 'ADVERTISE_HOST', 'ETCD_PORT', 'ETCD_PEER_PORT',
  'CORS_ORIGINS', 'RATE_LIMIT_PER_MINUTE', 'UPSTREAM_TIMEOUT_MS', 'BODY_LIMIT_BYTES',
  'MONGO_EXPRESS_PORT', 'MONGO_EXPRESS_USER', 'MONGO_EXPRESS_PASSWORD', 'PGADMIN_PORT', 'PGADMIN_EMAIL', 'PGADMIN_PASSWORD',
];

const services = Object.keys(appServices) as AppService[];

/** The validator runs once; every test that needs its output fails with its error when it rejects the file. */
let validation: { file: ComposeFile } | { error: unknown } | undefined;
function resolved(): ComposeFile {
  if (!validation) {
    try {
      validation = { file: resolveWithComposeCli() };
    } catch (error) {
      validation = { error };
    }
  }
  if ('error' in validation) throw validation.error;
  return validation.file;
}

describe('docker-compose.yml', () => {
  const raw = readRawCompose();

  it('When docker-compose config reads it with .env copied from .env.example, then it is a valid compose file', () => {
    assert.deepEqual(Object.keys(resolved().services).sort(), Object.keys(raw.services).sort());
  });

  it('When a key is misspelt, then the validator rejects the file (the check is real)', () => {
    const broken = readRepoFile('docker-compose.yml').replace('    healthcheck:\n', '    healthcheks:\n');

    assert.throws(() => resolveWithComposeCli(broken), ComposeValidationError);
  });

  it('When read, then it follows the compose spec without a `version:` key', () => {
    assert.equal(raw.version, undefined);
  });

  it('When any container starts, then it has a health check', () => {
    const missing = Object.entries(resolved().services)
      .filter(([, service]) => healthcheckCommand(service) === '' || service.healthcheck?.disable === true)
      .map(([name]) => name);

    assert.deepEqual(missing, [], `containers without a healthcheck: ${missing.join(', ')}`);
  });

  it('When a container waits for another, then it waits for service_healthy of a defined service', () => {
    for (const [name, service] of Object.entries(resolved().services)) {
      for (const [dependency, condition] of dependsOn(service)) {
        assert.ok(dependency in resolved().services, `${name} depends on undefined service ${dependency}`);
        assert.equal(condition, 'service_healthy', `${name} → ${dependency} must use condition: service_healthy`);
      }
    }
  });

  it('When started, then etcd (the service registry) runs from the official image with a health check and a volume', () => {
    const etcd = resolved().services['etcd'];

    assert.ok(etcd, 'compose must define an etcd service');
    assert.match(etcd.image ?? '', /^(gcr\.io\/etcd-development|quay\.io\/coreos)\/etcd:v3\.\d+\.\d+$/, 'official etcd image, pinned');
    assert.match(healthcheckCommand(etcd), /etcdctl .*endpoint health/);
    assert.ok((etcd.volumes ?? []).length > 0, 'etcd keeps its data in a volume');
  });

  for (const service of services) {
    describe(service, () => {
      it('When built, then it uses the one Dockerfile with the repository root as context and its name and port as arguments', () => {
        const build = raw.services[service]?.build;

        assert.equal(typeof build, 'object', `${service} must have build: { context, args }`);
        assert.deepEqual(build, { context: '.', args: { SERVICE: service, PORT: String(appServices[service]) } });
      });

      it('When started, then it waits for its infrastructure to be healthy', () => {
        const deps = dependsOn(resolved().services[service] ?? {});

        for (const dependency of needs[service]) {
          assert.equal(deps.get(dependency), 'service_healthy', `${service} must depend on ${dependency} with service_healthy`);
        }
      });

      it('When probed, then its health check fetches /health/ready on its port with node (no curl in the image)', () => {
        const command = healthcheckCommand(resolved().services[service] ?? {});

        assert.match(command, /^CMD node -e /);
        assert.ok(command.includes(`http://127.0.0.1:${appServices[service]}/health/ready`), command);
      });

      it(service === edge ? 'When published, then only the gateway has a host port' : 'When scaled, then it publishes no host port (replicas would collide)', () => {
        const ports = resolved().services[service]?.ports ?? [];

        if (service === edge) assert.equal(ports.length, 1, `${service} publishes one port`);
        else assert.deepEqual(ports, [], `${service} must not publish a port, so --scale works`);
      });

      it('When configured, then it finds the others through etcd and advertises its own container address', () => {
        const env = environmentOf(resolved().services[service] ?? {});

        assert.equal(env.get('DISCOVERY'), 'etcd');
        assert.equal(env.get('ETCD_HOSTS'), 'http://etcd:2379');
        assert.equal(env.get(selfAddress), 'auto');
      });

      it('When configured, then it reads .env and every address points into the compose network', () => {
        const env = environmentOf(resolved().services[service] ?? {});
        const envFile = raw.services[service]?.env_file;

        assert.deepEqual([envFile].flat(), ['.env']);
        for (const [key, value] of env) {
          if (key.endsWith('_URL')) {
            const host = new URL(value).hostname;
            assert.ok(host in resolved().services, `${service}: ${key}=${value} must name a compose service, not ${host}`);
          }
          if (key.endsWith('_HOST') && key !== selfAddress) {
            assert.ok(value in resolved().services, `${service}: ${key}=${value} must name a compose service`);
          }
          if (key.endsWith('_HOSTS')) {
            for (const url of value.split(',')) {
              const host = new URL(url).hostname;
              assert.ok(host in resolved().services, `${service}: ${key}=${value} must name compose services, not ${host}`);
            }
          }
        }
      });

      it('When its config schema is loaded, then every key is in .env.example and set for it in compose', async () => {
        const { keys } = await loadConfigSchema(service);
        const example = readEnvExample().values;
        const env = environmentOf(resolved().services[service] ?? {});

        const notInExample = keys.filter((key) => !example.has(key));
        const notInCompose = keys.filter((key) => !env.has(key));
        assert.deepEqual(notInExample, [], `${service} reads variables missing from .env.example: ${notInExample.join(', ')}`);
        assert.deepEqual(notInCompose, [], `${service} reads variables compose does not set: ${notInCompose.join(', ')}`);
      });

      it('When its config schema parses the local (.env.example) and the compose environment, then both are valid', async () => {
        const { parse } = await loadConfigSchema(service);

        assert.deepEqual(parse(Object.fromEntries(readEnvExample().values)), [], 'with .env.example');
        assert.deepEqual(parse(Object.fromEntries(environmentOf(resolved().services[service] ?? {}))), [], 'in compose');
      });
    });
  }
});

describe('.env.example', () => {
  const example = readEnvExample();

  it('When read, then it lists every planned variable once, each under a comment', () => {
    const missing = plannedVariables.filter((key) => !example.values.has(key));

    assert.deepEqual(missing, [], `missing from .env.example: ${missing.join(', ')}`);
    assert.deepEqual(example.duplicates, []);
    assert.deepEqual(example.uncommented, []);
  });

  it('When used locally, then addresses point at 127.0.0.1 (compose overrides them)', () => {
    for (const [key, value] of example.values) {
      if (key.endsWith('_HOST')) assert.equal(value, '127.0.0.1', key);
      if (key.endsWith('_URL')) assert.equal(new URL(value).hostname, '127.0.0.1', key);
      if (key.endsWith('_HOSTS')) for (const url of value.split(',')) assert.equal(new URL(url).hostname, '127.0.0.1', key);
    }
  });
});

describe('Dockerfile', () => {
  it('When a service is built, then its image runs that workspace\'s dist/src/main.js as node in production with a health check', () => {
    const text = readRepoFile('Dockerfile');

    assert.match(text, /^FROM node:24-[a-z0-9-]+ AS runtime$/m);
    assert.match(text, /^ARG SERVICE$/m);
    assert.match(text, /^ARG PORT$/m);
    assert.match(text, /ln -s "\$\{SERVICE\}\/dist\/src\/main\.js" main\.js/);
    assert.match(text, /^USER node$/m);
    assert.match(text, /NODE_ENV=production/);
    assert.match(text, /HEALTHCHECK_URL=http:\/\/127\.0\.0\.1:\$\{PORT\}\/health\/ready/);
    assert.match(text, /^HEALTHCHECK /m);
    assert.match(text, /npm ci /);
    // With the tracing preload, as scripts/start.sh and the testkit start a service.
    assert.ok(text.trimEnd().endsWith('CMD ["node", "--require", "@oip/platform/telemetry", "main.js"]'));
    for (const service of services) assert.ok(!existsSync(path.join(repoRoot, service, 'Dockerfile')), `${service}/Dockerfile: one Dockerfile serves all`);
  });

  it('When the build context is sent, then dependencies, build output, local state and secrets stay out', () => {
    const ignored = readRepoFile('.dockerignore').split('\n').map((line) => line.trim());

    for (const entry of ['**/node_modules', '**/dist', '.data', '.git', '.env']) assert.ok(ignored.includes(entry), entry);
  });
});
