import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, type JsonResponse } from '@oip/testkit';
import { Stack, type Account, type ServiceName } from './support';

/**
 * Input that used to reach a driver or a recursive walker and come back as a 500 (issue #10): every
 * one is a 400 problem+json now, by the same platform rule in the Express and the NestJS services.
 */
describe('hostile input', () => {
  const stack = new Stack();
  let customer: Account;
  let productId: string;

  before(async () => {
    await stack.start();
    customer = await stack.customer();
    productId = (await stack.product(5)).id;
  });

  after(() => stack.stop());

  const assertRefused = (answer: JsonResponse<unknown>, field?: string): void => {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = answer.body as { status: number; errors?: Record<string, string> };
    assert.equal(body.status, 400);
    if (field) assert.ok(body.errors?.[field], `an error for ${field}: ${JSON.stringify(body)}`);
  };

  const register = (body: Record<string, unknown>) =>
    request('POST', `${stack.api}/auth/register`, { body: { email: `hostile-${randomUUID().slice(0, 8)}@example.test`, password: 'a long password', name: 'Hostile', ...body } });

  describe('NUL characters', () => {
    it('When a product search has a NUL, then it is 400, not a database error', async () => {
      assertRefused(await request('GET', `${stack.api}/products?q=%00`), 'query.q');
    });

    it('When a product id is a NUL, then it is 400', async () => {
      assertRefused(await request('GET', `${stack.api}/products/%00`), 'params.id');
    });

    it('When a stock record is asked for by a NUL id, then it is 400', async () => {
      assertRefused(await request('GET', `${stack.api}/inventory/%00`, { token: customer.token }), 'params.productId');
    });

    it('When a product name or description has a NUL, then it is 400', async () => {
      const sku = `HOSTILE-${randomUUID().slice(0, 8)}`;
      assertRefused(await request('POST', `${stack.api}/products`, { token: stack.admin.token, body: { name: 'a\u0000b', price: '1.00', sku } }), 'body.name');
      assertRefused(await request('PATCH', `${stack.api}/products/${productId}`, { token: stack.admin.token, body: { description: 'a\u0000b' } }), 'body.description');
    });

    it('When a stock adjustment reason has a NUL, then it is 400', async () => {
      assertRefused(await request('POST', `${stack.api}/inventory/${productId}/adjust`, { token: stack.admin.token, body: { delta: 1, reason: 'a\u0000b' } }), 'body.reason');
    });

    it('When a name at register has a NUL, then it is 400', async () => {
      assertRefused(await register({ name: 'a\u0000b' }), 'name');
    });

    it('When a refresh token has a NUL, then it is 400', async () => {
      assertRefused(await request('POST', `${stack.api}/auth/refresh`, { body: { refreshToken: 'a\u0000b' } }), 'refreshToken');
    });
  });

  describe('unpaired surrogates', () => {
    it('When a name at register has a lone surrogate, then it is 400', async () => {
      assertRefused(await register({ name: 'a\ud800b' }), 'name');
    });

    it('When an e-mail at register has a lone surrogate, then it is 400', async () => {
      assertRefused(await register({ email: `a\ud800${randomUUID().slice(0, 8)}@example.test` }), 'email');
    });

    it('When a product name has a lone surrogate, then it is 400, and a proper pair is accepted', async () => {
      const refused = await request('POST', `${stack.api}/products`, { token: stack.admin.token, body: { name: 'mug \udc00', price: '1.00', sku: `S-${randomUUID().slice(0, 8)}` } });
      assertRefused(refused, 'body.name');
      const accepted = await request<{ name: string }>('POST', `${stack.api}/products`, { token: stack.admin.token, body: { name: 'mug \ud83d\ude00', price: '1.00', sku: `S-${randomUUID().slice(0, 8)}` } });
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
      assert.equal(accepted.body.name, 'mug 😀');
    });
  });

  it('When an address the event contract refuses is registered, then it is 400 and no account is made', async () => {
    const email = `a}b-${randomUUID().slice(0, 8)}@example.test`;
    assertRefused(await register({ email }), 'email');
    const login = await request('POST', `${stack.api}/auth/login`, { body: { email, password: 'a long password' } });
    assert.notEqual(login.status, 200);
  });

  describe('page numbers past the maximum', () => {
    for (const [service, path] of [
      ['user-service', '/users'],
      ['order-service', '/orders'],
      ['order-service', '/orders/customer/{customer}'],
    ] as const) {
      it(`When ${service} is asked for page 1e300 of ${path}, then it is 400`, async () => {
        const url = `${stack.api}${path.replace('{customer}', customer.id)}?page=1e300`;
        assertRefused(await request('GET', url, { token: stack.admin.token }));
      });
    }
  });

  describe('deeply nested JSON', () => {
    const deep = `{"items":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const [name, path] of [
      ['order-service (NestJS)', '/orders'],
      ['user-service (NestJS)', '/auth/login'],
      ['product-service (Express)', '/products'],
    ] as const) {
      it(`When ${name} gets a body nested 5000 deep, then it is 400 REQUEST.TOO_DEEP`, async () => {
        const answer = await request<{ code: string }>('POST', `${stack.api}${path}`, { token: stack.admin.token, raw: deep });
        assertRefused(answer);
        assert.equal(answer.body.code, 'REQUEST.TOO_DEEP');
      });
    }
  });

  describe('malformed HTTP', () => {
    const services: ServiceName[] = ['user-service', 'product-service', 'api-gateway'];
    for (const service of services) {
      it(`When ${service} gets a request that is not HTTP, then the 400 is problem+json`, async () => {
        const answer = await rawExchange(stack.ports[service], 'GET /products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
        assert.match(answer, /^HTTP\/1\.1 400 /);
        assert.match(answer, /content-type: application\/problem\+json/i);
        assert.match(answer, /"code":"REQUEST.MALFORMED"/);
      });

      it(`When ${service} gets headers too large, then the 431 is problem+json`, async () => {
        const answer = await rawExchange(stack.ports[service], `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        assert.match(answer, /^HTTP\/1\.1 431 /);
        assert.match(answer, /content-type: application\/problem\+json/i);
        assert.match(answer, /"status":431/);
      });
    }
  });
});

/** Sends raw bytes and returns everything the server answers before it closes the connection. */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from port ${port}: ${answer}`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.write(payload);
  });
}
