import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertTestDatabaseName, serviceShellSuite, startService, testInfra, type ServiceProcess } from '@oip/testkit';
import { Client } from 'pg';

const database = assertTestDatabaseName('users_test');

function serviceEnv(): Record<string, string> {
  const { postgres, rabbitmqUrl } = testInfra();
  return {
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    USER_DB_NAME: database,
    RABBITMQ_URL: rabbitmqUrl,
  };
}

serviceShellSuite({
  service: 'user-service',
  portVariable: 'USER_SERVICE_PORT',
  env: serviceEnv,
  store: { component: 'postgres', check: 'database' },
  checks: ['rabbitmq', 'token-revocations'],
});

describe('user-service NestJS shell', () => {
  let service: ServiceProcess;
  let db: Client;

  before(async () => {
    service = await startService('user-service', 'USER_SERVICE_PORT', serviceEnv());
    const { postgres } = testInfra();
    db = new Client({ ...postgres, database });
    await db.connect();
  });

  after(async () => {
    await db.end();
    await service.stop();
  });

  it('When a route does not exist, then the problem carries the ROUTE.NOT_FOUND code and the path', async () => {
    const answer = await fetch(`${service.url}/nowhere?x=1`);
    const body = (await answer.json()) as Record<string, unknown>;

    assert.equal(answer.status, 404);
    assert.equal(body['code'], 'ROUTE.NOT_FOUND');
    assert.equal(body['instance'], '/nowhere?x=1');
  });

  it('When a request body is not valid JSON, then it answers 400 problem+json REQUEST.MALFORMED', async () => {
    const answer = await fetch(`${service.url}/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    const body = (await answer.json()) as Record<string, unknown>;

    assert.equal(answer.status, 400);
    assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(body['code'], 'REQUEST.MALFORMED');
    assert.doesNotMatch(JSON.stringify(body), /node_modules|at \w+ \(/);
  });

  it('When asked for its API description, then the document is OpenAPI 3.1 with bearer auth', async () => {
    const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      openapi: string;
      components?: { securitySchemes?: Record<string, { scheme?: string }> };
    };

    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.components?.securitySchemes?.['bearerAuth']?.scheme, 'bearer');
  });

  it('When the service has started, then its migration has created the users table', async () => {
    const { rows } = await db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' ORDER BY column_name`,
    );

    assert.deepEqual(
      Object.fromEntries(rows.map((row) => [row.column_name, row.data_type])),
      {
        active: 'boolean',
        created_at: 'timestamp with time zone',
        email: 'text',
        id: 'uuid',
        name: 'text',
        password_hash: 'text',
        roles: 'ARRAY',
        tokens_valid_after: 'timestamp with time zone',
        updated_at: 'timestamp with time zone',
      },
    );
  });

  it('When a user is stored with only the required columns, then it gets an id, the user role and is active', async () => {
    const email = `defaults-${randomUUID()}@example.test`;

    const { rows } = await db.query<{ id: string; roles: string[]; active: boolean }>(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, 'Ann', 'x') RETURNING id, roles, active`,
      [email],
    );

    assert.match(rows[0]?.id ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(rows[0]?.roles, ['user']);
    assert.equal(rows[0]?.active, true);
  });

  it('When two accounts differ only in the case of their e-mail, then the database refuses the second', async () => {
    const local = `case-${randomUUID()}`;
    await db.query(`INSERT INTO users (email, name, password_hash) VALUES ($1, 'Ann', 'x')`, [`${local}@example.test`]);

    await assert.rejects(
      db.query(`INSERT INTO users (email, name, password_hash) VALUES ($1, 'Ann', 'x')`, [`${local.toUpperCase()}@EXAMPLE.TEST`]),
      (error: { code?: string }) => error.code === '23505',
    );
  });
});
