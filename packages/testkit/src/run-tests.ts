import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { repoRoot, type Component, type InfraKind } from './infrastructure';

/**
 * `npm test` ends here. It finds the real infrastructure once — URLs given in the environment,
 * else this machine's local infrastructure (started on demand by scripts/infra.sh), else
 * Testcontainers when a Docker engine is reachable — then runs every workspace's compiled tests
 * with Node's test runner, one file at a time because some tests stop and start the broker or a
 * database.
 *
 * Fault tests cannot run on infrastructure given by URLs (they would have to stop it): there they
 * are skipped, and the runner ends with a loud count and the name of each. `TEST_FAULTS=required`
 * (what CI sets) never chooses that mode by itself and fails the run if any fault test was skipped.
 */
type Env = Record<string, string>;

function fromEnvironment(): Env | undefined {
  const { POSTGRES_HOST, MONGO_URL, RABBITMQ_URL, SMTP_HOST, ETCD_HOSTS } = process.env;
  if (!POSTGRES_HOST || !MONGO_URL || !RABBITMQ_URL || !SMTP_HOST || !ETCD_HOSTS) return undefined;
  return { TEST_INFRA_KIND: 'env' };
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const TEST_VHOST = 'oip-test';

/** Creates the tests' vhost and lets the application user use it (idempotent, through the management API). */
async function ensureTestVhost(env: Env): Promise<void> {
  const management = new URL(env['RABBITMQ_MANAGEMENT_URL'] ?? '');
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
  const put = async (path: string, body: unknown) => {
    const answer = await fetch(`${management.origin}${path}`, { method: 'PUT', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!answer.ok) throw new Error(`RabbitMQ management ${path} answered ${answer.status}: ${await answer.text()}`);
  };
  await put(`/api/vhosts/${TEST_VHOST}`, {});
  await put(`/api/permissions/${TEST_VHOST}/${encodeURIComponent(decodeURIComponent(management.username))}`, { configure: '.*', write: '.*', read: '.*' });
}

function local(): Env | undefined {
  if (process.platform !== 'linux' || !hasCommand('apt-get')) return undefined;
  execFileSync('bash', [path.join(repoRoot, 'scripts/infra.sh'), 'up'], { stdio: 'inherit' });
  const e = process.env;
  return {
    TEST_INFRA_KIND: 'local',
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: e['POSTGRES_PORT'] ?? '5432',
    POSTGRES_USER: e['POSTGRES_USER'] ?? 'app',
    POSTGRES_PASSWORD: e['POSTGRES_PASSWORD'] ?? 'app',
    MONGO_URL: `mongodb://127.0.0.1:${e['MONGO_PORT'] ?? '27017'}`,
    // A vhost of the tests' own: a stack started with `npm start` on the same broker consumes
    // the same queue names on `/`, and would take the tests' events.
    RABBITMQ_URL: `amqp://${e['RABBITMQ_USER'] ?? 'app'}:${e['RABBITMQ_PASSWORD'] ?? 'app'}@127.0.0.1:${e['RABBITMQ_PORT'] ?? '5672'}/${TEST_VHOST}`,
    RABBITMQ_MANAGEMENT_URL: `http://${e['RABBITMQ_USER'] ?? 'app'}:${e['RABBITMQ_PASSWORD'] ?? 'app'}@127.0.0.1:${e['RABBITMQ_MANAGEMENT_PORT'] ?? '15672'}`,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: e['SMTP_PORT'] ?? '1025',
    SMTP_API_URL: `http://127.0.0.1:${e['SMTP_UI_PORT'] ?? '8025'}`,
    SMTP_API: 'maildev',
    ETCD_HOSTS: `http://127.0.0.1:${e['ETCD_PORT'] ?? '2379'}`,
    // Not OTEL_EXPORTER_OTLP_ENDPOINT: only the suites that test tracing turn it on in their services.
    TEST_JAEGER_URL: `http://127.0.0.1:${e['JAEGER_UI_PORT'] ?? '16686'}`,
    TEST_OTLP_ENDPOINT: `http://127.0.0.1:${e['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`,
  };
}

/** The same etcd release as docker-compose.yml's, from etcd's own registry. */
const etcdImage = 'gcr.io/etcd-development/etcd:v3.5.17';
/** docker-compose.yml's Jaeger. */
const jaegerImage = 'jaegertracing/jaeger:2.13.0';

async function containers(started: StartedTestContainer[]): Promise<Env> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const { GenericContainer, Wait } = await import('testcontainers');
  const [postgres, mongo, rabbit, mail, etcd, jaeger] = await Promise.all([
    new PostgreSqlContainer('postgres:17-alpine').withUsername('app').withPassword('app').withDatabase('users_test').start(),
    new MongoDBContainer('mongo:8').start(),
    new RabbitMQContainer('rabbitmq:4-management').withEnvironment({ RABBITMQ_DEFAULT_USER: 'app', RABBITMQ_DEFAULT_PASS: 'app' }).start(),
    new GenericContainer('axllent/mailpit:latest').withExposedPorts(1025, 8025).withWaitStrategy(Wait.forListeningPorts()).start(),
    new GenericContainer(etcdImage)
      .withCommand(['/usr/local/bin/etcd', '--name=test', '--data-dir=/etcd-data', '--listen-client-urls=http://0.0.0.0:2379', '--advertise-client-urls=http://127.0.0.1:2379'])
      .withExposedPorts(2379)
      .withWaitStrategy(Wait.forHttp('/health', 2379).forResponsePredicate((body) => body.includes('"health":"true"')))
      .start(),
    // The same Jaeger as scripts/infra/jaeger.sh builds (v1.76.0 is the 2.13.0 release).
    new GenericContainer(jaegerImage).withExposedPorts(4318, 16686).withWaitStrategy(Wait.forHttp('/api/services', 16686)).start(),
  ]);
  started.push(postgres, mongo, rabbit, mail, etcd, jaeger);
  await postgres.exec(['psql', '-U', 'app', '-d', 'users_test', '-c', 'CREATE DATABASE orders_test']);
  const ids: Record<Component, string> = { postgres: postgres.getId(), mongo: mongo.getId(), rabbitmq: rabbit.getId(), smtp: mail.getId(), etcd: etcd.getId() };
  return {
    TEST_INFRA_KIND: 'containers',
    TEST_CONTAINER_IDS: JSON.stringify(ids),
    POSTGRES_HOST: postgres.getHost(),
    POSTGRES_PORT: String(postgres.getPort()),
    POSTGRES_USER: 'app',
    POSTGRES_PASSWORD: 'app',
    MONGO_URL: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}/?directConnection=true`,
    RABBITMQ_URL: `amqp://app:app@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`,
    RABBITMQ_MANAGEMENT_URL: `http://app:app@${rabbit.getHost()}:${rabbit.getMappedPort(15672)}`,
    SMTP_HOST: mail.getHost(),
    SMTP_PORT: String(mail.getMappedPort(1025)),
    SMTP_API_URL: `http://${mail.getHost()}:${mail.getMappedPort(8025)}`,
    SMTP_API: 'mailpit',
    ETCD_HOSTS: `http://${etcd.getHost()}:${etcd.getMappedPort(2379)}`,
    TEST_JAEGER_URL: `http://${jaeger.getHost()}:${jaeger.getMappedPort(16686)}`,
    TEST_OTLP_ENDPOINT: `http://${jaeger.getHost()}:${jaeger.getMappedPort(4318)}`,
  };
}

async function main(): Promise<number> {
  const started: StartedTestContainer[] = [];
  const forced = process.env['TEST_INFRA'] as InfraKind | undefined;
  const faultsRequired = process.env['TEST_FAULTS'] === 'required';
  if (faultsRequired && forced === 'env') throw new Error('TEST_FAULTS=required: TEST_INFRA=env cannot run the fault tests; use local or containers');
  let env: Env | undefined;
  if (forced === 'env' || (!forced && !faultsRequired)) env = fromEnvironment();
  if (!env && (!forced || forced === 'local')) {
    env = local();
    if (env) await ensureTestVhost(env);
  }
  if (!env && (!forced || forced === 'containers')) env = await containers(started);
  if (!env) throw new Error('no infrastructure: set the URLs, or run on Debian, or provide Docker');
  console.log(`[test] infrastructure: ${env['TEST_INFRA_KIND']}`);

  // Node test runner flags (e.g. --test-name-pattern=...) pass through; the rest are test files.
  const flags = process.argv.slice(2).filter((argument) => argument.startsWith('--'));
  const patterns = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
  const files = patterns.length > 0 ? patterns : ['packages/*/dist/test/**/*.test.js', '*-service/dist/test/**/*.test.js', 'api-gateway/dist/test/**/*.test.js', 'tests/dist/**/*.test.js', 'web/dist/test/**/*.test.js'];
  const existing = files.filter((pattern) => pattern.includes('*') || existsSync(pattern));
  // No --test-force-exit: on Node 24 it ended files early while async tests were still running,
  // and the run reported a pass with tests silently missing. A file that leaks a handle hangs
  // instead, which CI shows as a failure.
  const reports = mkdtempSync(path.join(tmpdir(), 'oip-test-'));
  const skippedFaults = path.join(reports, 'skipped-fault-tests.jsonl');
  const code = await new Promise<number>((resolve) => {
    const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(__dirname, 'fault-skip-reporter.js')}`, `--test-reporter-destination=${skippedFaults}`];
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...reporters, ...flags, ...existing], {
      cwd: repoRoot,
      env: { ...process.env, ...env, NODE_ENV: 'test' },
      stdio: 'inherit',
    });
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  await Promise.all(started.map((container) => container.stop()));
  const skipped = existsSync(skippedFaults) ? readFileSync(skippedFaults, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { name: string; file?: string; suite?: boolean }) : [];
  rmSync(reports, { recursive: true, force: true });
  if (skipped.length === 0) return code;
  const bar = '!'.repeat(100);
  console.error(`\n${bar}\n[test] ${skipped.length} FAULT TEST(S) OR SUITE(S) SKIPPED: infrastructure "${env['TEST_INFRA_KIND']}" cannot be stopped by tests, so these proved nothing:`);
  for (const test of skipped) console.error(`[test]   - ${test.suite ? '(every test of the suite) ' : ''}${test.name}${test.file ? `  (${path.relative(repoRoot, test.file)})` : ''}`);
  console.error(`[test] Run with TEST_INFRA=local or TEST_INFRA=containers to run them.\n${bar}\n`);
  return faultsRequired ? 1 : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
