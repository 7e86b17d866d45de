import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Where the real infrastructure of a test run is. The test runner (run-tests.ts) resolves it once
 * and passes it to every test process through these environment variables.
 */
export type Component = 'postgres' | 'mongo' | 'rabbitmq' | 'smtp' | 'etcd';
export type InfraKind = 'env' | 'local' | 'containers';

export interface TestInfra {
  kind: InfraKind;
  postgres: { host: string; port: number; user: string; password: string };
  mongoUrl: string;
  rabbitmqUrl: string;
  rabbitmqManagementUrl: string;
  smtp: { host: string; port: number; apiUrl: string; api: 'maildev' | 'mailpit' };
  /** The service registry's client URLs, comma-separated, as services read them from ETCD_HOSTS. */
  etcdHosts: string;
  /** Jaeger: its query API (`/api/traces/<id>`) and the OTLP/HTTP endpoint services export to. */
  jaeger: { url: string; otlpEndpoint: string };
  /** Takes a piece of infrastructure down and back up (local scripts or containers). */
  stop(component: Component): Promise<void>;
  start(component: Component): Promise<void>;
}

export const repoRoot = path.resolve(__dirname, '../../../..');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with "npm test", which resolves the infrastructure`);
  return value;
}

export function testInfra(): TestInfra {
  const kind = (process.env['TEST_INFRA_KIND'] ?? 'env') as InfraKind;
  const containers = JSON.parse(process.env['TEST_CONTAINER_IDS'] ?? '{}') as Partial<Record<Component, string>>;
  const control = async (action: 'stop' | 'start', component: Component): Promise<void> => {
    if (kind === 'local') {
      await exec('bash', [path.join(repoRoot, 'scripts/infra.sh'), action, component], { timeout: 120_000 });
    } else if (kind === 'containers') {
      const id = containers[component];
      if (!id) throw new Error(`no container for ${component}`);
      // Pausing keeps the mapped port, so clients can come back to the same address.
      if (component === 'rabbitmq') await exec('docker', ['exec', id, 'rabbitmqctl', action === 'stop' ? 'stop_app' : 'start_app']);
      else await exec('docker', [action === 'stop' ? 'pause' : 'unpause', id]);
    } else {
      throw new Error('infrastructure given by environment URLs cannot be stopped and started by tests');
    }
  };
  return {
    kind,
    postgres: {
      host: required('POSTGRES_HOST'),
      port: Number(required('POSTGRES_PORT')),
      user: required('POSTGRES_USER'),
      password: required('POSTGRES_PASSWORD'),
    },
    mongoUrl: required('MONGO_URL'),
    rabbitmqUrl: required('RABBITMQ_URL'),
    rabbitmqManagementUrl: required('RABBITMQ_MANAGEMENT_URL'),
    smtp: {
      host: required('SMTP_HOST'),
      port: Number(required('SMTP_PORT')),
      apiUrl: required('SMTP_API_URL'),
      api: (process.env['SMTP_API'] ?? 'maildev') as 'maildev' | 'mailpit',
    },
    etcdHosts: required('ETCD_HOSTS'),
    // Asked for only by the suites that trace: infrastructure given by URLs may have no Jaeger.
    get jaeger() {
      return { url: required('TEST_JAEGER_URL'), otlpEndpoint: required('TEST_OTLP_ENDPOINT') };
    },
    stop: (component) => control('stop', component),
    start: (component) => control('start', component),
  };
}

/** Test data never lands in a real database: the name must say it is a test one. */
export function assertTestDatabaseName(name: string): string {
  if (!/test/i.test(name)) throw new Error(`refusing to run tests against database "${name}": its name must contain "test"`);
  return name;
}

export function canStopInfrastructure(): boolean {
  return (process.env['TEST_INFRA_KIND'] ?? 'env') !== 'env';
}

/** A queue's figures from RabbitMQ's management API (refreshed by the broker every few seconds), in the tests' vhost. */
export async function queueStats(queue: string): Promise<{ messages: number; messagesUnacknowledged: number }> {
  const infra = testInfra();
  const management = new URL(infra.rabbitmqManagementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
  const vhost = encodeURIComponent(decodeURIComponent(new URL(infra.rabbitmqUrl).pathname.slice(1)) || '/');
  const answer = await fetch(`${management.origin}/api/queues/${vhost}/${encodeURIComponent(queue)}`, { headers: { authorization } });
  if (!answer.ok) throw new Error(`RabbitMQ management: queue ${queue} answered ${answer.status}`);
  const body = (await answer.json()) as { messages?: number; messages_unacknowledged?: number };
  return { messages: body.messages ?? 0, messagesUnacknowledged: body.messages_unacknowledged ?? 0 };
}
