import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listen } from '@oip/platform';
import { assertTestDatabaseName, freePort, request, startService, startTestIssuer, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';

/**
 * The JWKS (user-service) unreachable: when the services start, and later for a key they have not
 * cached yet. A request with a token must then answer 503 problem+json — the caller may retry —
 * never 401 (the token is not at fault) nor 500; and once the JWKS answers again the same processes
 * accept tokens, without a restart. Checked at the gateway, at an Express service (product-service,
 * the platform verifier) and at a NestJS service (order-service, the passport strategy).
 */
describe('Token verification while the JWKS cannot be fetched', () => {
  let issuer: TestIssuer;
  let rotated: TestIssuer;
  let jwks: { port: number; up: (issuers: TestIssuer[]) => Promise<void>; down: () => Promise<void> };
  let products: ServiceProcess;
  let orders: ServiceProcess;
  let gateway: ServiceProcess;

  before(async () => {
    issuer = await startTestIssuer();
    rotated = await startTestIssuer();
    jwks = await switchableJwks();
    const infra = testInfra();
    const auth = { ...issuer.env, JWKS_URL: `http://127.0.0.1:${jwks.port}/.well-known/jwks.json`, LOG_LEVEL: 'warn' };
    [products, orders] = await Promise.all([
      startService('product-service', 'PRODUCT_SERVICE_PORT', {
        ...auth,
        MONGO_URL: infra.mongoUrl,
        PRODUCT_DB_NAME: assertTestDatabaseName('products_test'),
        RABBITMQ_URL: infra.rabbitmqUrl,
      }),
      startService('order-service', 'ORDER_SERVICE_PORT', {
        ...auth,
        POSTGRES_HOST: infra.postgres.host,
        POSTGRES_PORT: String(infra.postgres.port),
        POSTGRES_USER: infra.postgres.user,
        POSTGRES_PASSWORD: infra.postgres.password,
        ORDER_DB_NAME: assertTestDatabaseName('orders_test'),
        RABBITMQ_URL: infra.rabbitmqUrl,
      }),
    ]);
    gateway = await startService('api-gateway', 'GATEWAY_PORT', {
      ...auth,
      RABBITMQ_URL: infra.rabbitmqUrl,
      USER_SERVICE_URL: products.url,
      PRODUCT_SERVICE_URL: products.url,
      ORDER_SERVICE_URL: orders.url,
      INVENTORY_SERVICE_URL: products.url,
      NOTIFICATION_SERVICE_URL: products.url,
    });
  });

  after(async () => {
    await Promise.all([gateway?.stop(), products?.stop(), orders?.stop()]);
    await jwks?.down();
    await Promise.all([issuer?.close(), rotated?.close()]);
  });

  /** One protected route per process; an authenticated caller gets 200, 200 and 400 (the product body is invalid on purpose). */
  const callAll = (token: string) =>
    Promise.all([
      request('GET', `${gateway.url}/api/orders`, { token }),
      request('GET', `${orders.url}/orders`, { token }),
      request('POST', `${products.url}/products`, { token, body: {} }),
    ]);

  /**
   * 503 problem+json naming what cannot be fetched. From the start user-service's revocation list is
   * missing too (it is served beside the JWKS), and a process refuses tokens until it has that list.
   */
  const assertUnavailable = (answers: Awaited<ReturnType<typeof callAll>>, codes: string[]) => {
    const names = ['gateway', 'order-service', 'product-service'];
    for (const [index, answer] of answers.entries()) {
      const name = names[index];
      assert.equal(answer.status, 503, `${name}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, name);
      assert.ok(codes.includes(String(answer.body['code'])), `${name}: ${String(answer.body['code'])}`);
    }
  };

  /** The processes pick the JWKS and the revocation list up again in the background (retries back off to 5 s). */
  const recovered = (token: string) =>
    waitFor(async () => {
      const answers = await callAll(token);
      return answers.every((answer) => answer.status !== 503) ? answers : undefined;
    }, 20_000);

  it('When the JWKS is down from the start, then a token is answered 503 problem+json, and once it is up the same processes accept it', async () => {
    const token = issuer.admin();

    const whileDown = await callAll(token);
    await jwks.up([issuer]);
    const afterwards = await recovered(token);

    assertUnavailable(whileDown, ['AUTH.JWKS_UNAVAILABLE', 'AUTH.REVOCATIONS_UNAVAILABLE']);
    assert.deepEqual(afterwards.map((answer) => answer.status), [200, 200, 400], JSON.stringify(afterwards.map((answer) => answer.body)));
  });

  it('When the JWKS goes down later, then cached keys still verify, a new key is answered 503, and it is accepted once the JWKS is back', async () => {
    await jwks.up([issuer]);
    assert.deepEqual((await recovered(issuer.admin())).map((answer) => answer.status), [200, 200, 400]);
    await jwks.down();

    const cached = await callAll(issuer.admin());
    const newKey = await callAll(rotated.admin());
    await jwks.up([issuer, rotated]);
    const afterwards = await recovered(rotated.admin());

    assert.deepEqual(cached.map((answer) => answer.status), [200, 200, 400]);
    assertUnavailable(newKey, ['AUTH.JWKS_UNAVAILABLE']);
    assert.deepEqual(afterwards.map((answer) => answer.status), [200, 200, 400], JSON.stringify(afterwards.map((answer) => answer.body)));
  });
});

/** A JWKS endpoint on a fixed port that can be taken away (connection refused) and brought back with the keys of some issuers. */
async function switchableJwks(): Promise<{ port: number; up: (issuers: TestIssuer[]) => Promise<void>; down: () => Promise<void> }> {
  const port = await freePort();
  let server: Server | undefined;
  const down = async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    running.closeAllConnections();
    await new Promise<void>((resolve) => running.close(() => resolve()));
  };
  const up = async (issuers: TestIssuer[]) => {
    await down();
    const keys: unknown[] = [];
    for (const one of issuers) keys.push(...((await (await fetch(one.jwksUrl)).json()) as { keys: unknown[] }).keys);
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
      else if (req.url === '/.well-known/token-revocations.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revocations: [] }));
      else res.writeHead(404).end();
    });
    await listen(server, port, '127.0.0.1');
  };
  return { port, up, down };
}
