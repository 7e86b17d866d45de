import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import http from 'node:http';
import { assertTestDatabaseName, freePort, request, startService, testInfra, type JsonResponse, type ServiceProcess } from '@oip/testkit';

export const USER_DB = assertTestDatabaseName('users_test');
export const ISSUER = 'http://user-service';
export const AUDIENCE = 'order-inventory-platform';

/**
 * The signing key of the user-service under test, made here so tests can also mint tokens that
 * are validly signed but wrong in another way (expired, other audience, other issuer).
 */
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const signingKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const signingKid = `test-${randomUUID().slice(0, 8)}`;

export const ADMIN_EMAIL = `admin-${randomUUID().slice(0, 8)}@example.test`;
export const ADMIN_PASSWORD = `Admin-${randomUUID()}`;

export function userServiceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const { postgres, rabbitmqUrl } = testInfra();
  return {
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    USER_DB_NAME: USER_DB,
    RABBITMQ_URL: rabbitmqUrl,
    // The minimum bcrypt cost keeps the suite fast; production defaults to 12.
    BCRYPT_COST: '4',
    JWT_PRIVATE_KEY: signingKey,
    JWT_KEY_ID: signingKid,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OUTBOX_POLL_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** user-service on a port chosen first, so that it can verify tokens against its own JWKS. */
export async function startUserService(overrides: Record<string, string> = {}): Promise<ServiceProcess & { jwksUrl: string }> {
  const port = await freePort();
  const jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  const service = await startService('user-service', 'USER_SERVICE_PORT', userServiceEnv({ JWKS_URL: jwksUrl, ...overrides }), port);
  return { ...service, jwksUrl };
}

/** The gateway in front of a user-service; the other upstreams point at nothing (503, as designed) unless given. */
export function startGateway(users: { url: string; jwksUrl: string }, upstreams: Record<string, string> = {}): Promise<ServiceProcess> {
  const nowhere = 'http://127.0.0.1:9';
  return startService('api-gateway', 'GATEWAY_PORT', {
    RABBITMQ_URL: testInfra().rabbitmqUrl,
    JWKS_URL: users.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    USER_SERVICE_URL: users.url,
    PRODUCT_SERVICE_URL: nowhere,
    ORDER_SERVICE_URL: nowhere,
    INVENTORY_SERVICE_URL: nowhere,
    NOTIFICATION_SERVICE_URL: nowhere,
    ...upstreams,
  });
}

export const uniqueEmail = (prefix = 'user'): string => `${prefix}-${randomUUID().slice(0, 12)}@example.test`;

/**
 * A client address of the test's own, named in X-Forwarded-For: believed by a user-service that
 * trusts loopback (its default) and by a gateway started with TRUSTED_PROXIES=loopback.
 */
export const clientAddress = (): string => `198.51.100.${randomInt(1, 255)}`;
export const fromAddress = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

/**
 * A loopback address of the test's own, other than 127.0.0.1 (Linux routes all of 127/8 to the
 * loopback interface): a host that really connects from it, so that it is that peer's address a
 * service sees, whatever X-Forwarded-For it sends. Random, so counters of earlier runs do not count.
 */
export const loopbackHost = (): string => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

/** `request` from the testkit, but connecting from `source` (see loopbackHost). */
export function requestFrom<T = Record<string, unknown>>(
  source: string,
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) };
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method, headers, localAddress: source, agent: false }, (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const received = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) if (typeof value === 'string') received.set(name, value);
        resolve({ status: answer.statusCode ?? 0, headers: received, body: body as T });
      });
      answer.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

export interface Account {
  id: string;
  email: string;
  password: string;
}

export async function register(baseUrl: string, email = uniqueEmail(), password = `pw-${randomUUID()}`): Promise<Account> {
  const answer = await request<{ id: string }>('POST', `${baseUrl}/auth/register`, { body: { email, password, name: 'Test User' } });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return { id: answer.body.id, email, password };
}

export async function login(baseUrl: string, account: { email: string; password: string }, ip = clientAddress()): Promise<TokenPair> {
  const answer: JsonResponse<TokenPair> = await request<TokenPair>('POST', `${baseUrl}/auth/login`, {
    body: { email: account.email, password: account.password },
    headers: fromAddress(ip),
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/** The test's user_registered events land in notification-service's queue too; leave it none. */
export async function purgeNotificationQueue(): Promise<void> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(testInfra().rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    await channel.purgeQueue('notification-service').catch(() => undefined);
  } finally {
    await connection.close();
  }
}
