import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listen } from '@oip/platform';
import { request, startService, startTestIssuer, type ServiceProcess, type TestIssuer, testInfra } from '@oip/testkit';

/** What the stand-in upstream saw of the last request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/**
 * The gateway in front of a stand-in upstream that records what reaches it: bodies and headers
 * must pass unchanged and unbuffered, upstream errors unchanged, and the gateway's own failures as
 * problem+json.
 */
describe('api-gateway proxy', () => {
  let upstream: Server;
  let gateway: ServiceProcess;
  let issuer: TestIssuer;
  let seen: Seen | undefined;
  /** Every request line that reached the upstream, in order. */
  const arrived: string[] = [];
  let api: string;

  before(async () => {
    issuer = await startTestIssuer();
    upstream = createServer((req, res) => {
      arrived.push(`${req.method} ${req.url}`);
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes, sha256: hash.digest('hex') };
        if (req.url === '/health/live') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else if (req.url?.startsWith('/users/conflict')) {
          res.writeHead(409, { 'content-type': 'application/problem+json', 'x-upstream': 'yes' }).end('{"status":409,"code":"USER.EMAIL_TAKEN"}');
        } else if (req.url?.startsWith('/users/slow')) {
          setTimeout(() => res.writeHead(200).end('late'), 3000);
        } else {
          const answer = JSON.stringify({ bytes, sha256: seen.sha256 });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
        }
      });
    });
    const port = await listen(upstream, 0, '127.0.0.1');
    gateway = await startService('api-gateway', 'GATEWAY_PORT', {
      RABBITMQ_URL: testInfra().rabbitmqUrl,
      ...issuer.env,
      USER_SERVICE_URL: `http://127.0.0.1:${port}`,
      PRODUCT_SERVICE_URL: 'http://127.0.0.1:9',
      ORDER_SERVICE_URL: `http://127.0.0.1:${port}`,
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${port}`,
      NOTIFICATION_SERVICE_URL: `http://127.0.0.1:${port}`,
      UPSTREAM_TIMEOUT_MS: '1000',
      BODY_LIMIT_BYTES: String(256 * 1024),
    });
    api = `${gateway.url}/api`;
  });

  after(async () => {
    await gateway?.stop();
    upstream?.close();
    await issuer?.close();
  });

  it('When a body is posted, then the upstream gets it byte for byte with its Content-Length and the path and query', async () => {
    const body = JSON.stringify({ blob: randomBytes(90_000).toString('base64') });

    const answer = await request<{ bytes: number; sha256: string }>('POST', `${api}/users/echo?x=1&y=2`, { token: issuer.user(), raw: body });

    assert.equal(answer.status, 200);
    assert.equal(seen?.url, '/users/echo?x=1&y=2');
    assert.equal(seen?.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(answer.body.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(answer.headers.get('content-length'), String(Buffer.byteLength(JSON.stringify(answer.body))));
  });

  it('When a body is sent chunked, then it is streamed on chunked, without an invented Content-Length', async () => {
    const chunks = [randomBytes(10_000), randomBytes(20_000), randomBytes(5)];
    const target = new URL(`${api}/users/echo`);

    const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(target, { method: 'POST', headers: { authorization: `Bearer ${issuer.user()}`, 'content-type': 'application/octet-stream' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

    assert.equal(result.status, 200);
    assert.equal(seen?.headers['content-length'], undefined);
    assert.equal(seen?.headers['transfer-encoding'], 'chunked');
    assert.equal(seen?.bytes, 30_005);
    assert.equal((JSON.parse(result.text) as { sha256: string }).sha256, createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  });

  it('When the upstream answers 409, then status, headers and body reach the client unchanged', async () => {
    const answer = await request('POST', `${api}/users/conflict`, { token: issuer.user(), body: { a: 1 } });

    assert.equal(answer.status, 409);
    assert.equal(answer.headers.get('x-upstream'), 'yes');
    assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.deepEqual(answer.body, { status: 409, code: 'USER.EMAIL_TAKEN' });
  });

  it('When a request has no x-request-id, then the gateway makes one, answers with it and forwards it; a sent one is kept', async () => {
    const made = await request('GET', `${api}/users/echo`, { token: issuer.user() });
    const madeId = made.headers.get('x-request-id');
    const forwardedMade = seen?.headers['x-request-id'];
    const kept = await request('GET', `${api}/users/echo`, { token: issuer.user(), headers: { 'x-request-id': 'client-chosen-1' } });

    assert.match(madeId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(forwardedMade, madeId);
    assert.equal(kept.headers.get('x-request-id'), 'client-chosen-1');
    assert.equal(seen?.headers['x-request-id'], 'client-chosen-1');
  });

  it('When the client sends hop-by-hop headers, then they are not forwarded but the token and forwarding headers are', async () => {
    // fetch() will not send a Connection header; node:http will.
    await new Promise<void>((resolve, reject) => {
      const headers = { authorization: `Bearer ${issuer.user()}`, connection: 'keep-alive, x-private', 'x-private': 'secret', 'x-custom': 'kept' };
      httpRequest(new URL(`${api}/users/echo`), { headers }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });

    assert.equal(seen?.headers['x-private'], undefined);
    assert.equal(seen?.headers['x-custom'], 'kept');
    assert.match(String(seen?.headers['authorization']), /^Bearer /);
    assert.ok(seen?.headers['x-forwarded-for']);
  });

  it('When a client sends X-Forwarded-For, then the upstream sees only the address the client connected from', async () => {
    const answer = await request('GET', `${api}/users/echo`, { token: issuer.user(), headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } });

    assert.equal(answer.status, 200);
    assert.match(String(seen?.headers['x-forwarded-for']), /^(::ffff:)?127\.0\.0\.1$/);
  });

  it("When a client sends a trace context, then the upstream does not see the client's", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const answer = await request('GET', `${api}/users/echo`, { token: issuer.user(), headers: { traceparent, tracestate: 'client=1', baggage: 'user=someone' } });

    assert.equal(answer.status, 200);
    assert.notEqual(seen?.headers['traceparent'], traceparent);
    assert.equal(seen?.headers['tracestate'], undefined);
    assert.equal(seen?.headers['baggage'], undefined);
  });

  it('When a protected route is called without a valid token, then 401 and the upstream never sees it', async () => {
    seen = undefined;

    const none = await request('GET', `${api}/users/echo`);
    const bad = await request('GET', `${api}/users/echo`, { token: 'garbage' });

    assert.equal(none.status, 401);
    assert.equal(bad.status, 401);
    assert.equal(seen, undefined);
  });

  it('When the body is larger than the limit, then 413 problem+json', async () => {
    const answer = await request('POST', `${api}/users/echo`, { token: issuer.user(), raw: 'x'.repeat(300 * 1024) });

    assert.equal(answer.status, 413);
    assert.equal(answer.body['code'], 'REQUEST.TOO_LARGE');
  });

  it('When the upstream is down, then 503; when it is too slow, then 504; both problem+json', async () => {
    const down = await request('GET', `${api}/products/anything`);
    const slow = await request('GET', `${api}/users/slow`, { token: issuer.user() });

    assert.equal(down.status, 503);
    assert.equal(down.body['code'], 'UPSTREAM.UNAVAILABLE');
    assert.equal(slow.status, 504);
    assert.match(slow.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  it('When answering, then security headers are set and CORS exposes the request id', async () => {
    const answer = await request('GET', `${api}/users/echo`, { token: issuer.user(), headers: { origin: 'http://localhost:3000' } });

    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(answer.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
  });
});
