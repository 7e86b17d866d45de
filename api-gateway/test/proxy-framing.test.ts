import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { listen } from '@oip/platform';
import { request, startService, startTestIssuer, type ServiceProcess, type TestIssuer, testInfra } from '@oip/testkit';

/** What the stand-in upstream answers: who asked for what, as it parsed the request. */
interface Echo {
  method: string;
  url: string;
  auth: string;
  bytes: number;
}

/**
 * Sends raw bytes to the gateway and returns everything it answered until it closed the
 * connection. The bytes must ask for the close (a second `Connection: close` line keeps whatever
 * the first one names); half-closing instead would make Node abort the request.
 */
function rawExchange(url: string, bytes: string): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(target.port), target.hostname, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

/**
 * Response poisoning through the gateway (hardening, item 1): a client that makes the gateway
 * forward its body unframed on a pooled upstream connection gets that body parsed upstream as a
 * second request, whose answer goes to the next client on the connection. Every variant must be
 * refused or forwarded with its framing, and the next client must get its own answer.
 */
describe('api-gateway request framing', () => {
  let upstream: Server;
  let gateway: ServiceProcess;
  let issuer: TestIssuer;
  /** Every request the upstream parsed, in order. */
  const parsed: Echo[] = [];
  const SMUGGLED = 'Bearer smuggled-by-attacker';
  const smuggled = `GET /users/me HTTP/1.1\r\nHost: upstream\r\nAuthorization: ${SMUGGLED}\r\n\r\n`;

  before(async () => {
    issuer = await startTestIssuer();
    upstream = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        const echo: Echo = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', bytes };
        if (req.url !== '/health/live') parsed.push(echo);
        const body = JSON.stringify(echo);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
    });
    const port = await listen(upstream, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    gateway = await startService('api-gateway', 'GATEWAY_PORT', {
      RABBITMQ_URL: testInfra().rabbitmqUrl,
      ...issuer.env,
      USER_SERVICE_URL: url,
      PRODUCT_SERVICE_URL: url,
      ORDER_SERVICE_URL: url,
      INVENTORY_SERVICE_URL: url,
      NOTIFICATION_SERVICE_URL: url,
    });
  });

  after(async () => {
    await gateway?.stop();
    upstream?.close();
    await issuer?.close();
  });

  /** Three requests of a victim through the gateway after the attempt: each must be answered for itself. */
  async function assertVictimGetsOwnAnswers(): Promise<void> {
    const victimRequests = parsed.length;
    const victim = issuer.user();
    for (let i = 0; i < 3; i += 1) {
      const answer = await request<Echo>('GET', `${gateway.url}/api/users/me?victim=${i}`, { token: victim });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.auth, `Bearer ${victim}`, `victim request ${i} got someone else's answer`);
      assert.equal(answer.body.url, `/users/me?victim=${i}`);
    }
    assert.equal(parsed.length, victimRequests + 3, 'the upstream parsed requests nobody sent');
    assert.deepEqual(
      parsed.filter((echo) => echo.auth === SMUGGLED),
      [],
      'the upstream parsed a request the gateway never routed',
    );
  }

  const withLength = (method: string, connection: string) =>
    `${method} /api/users/me HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer TOKEN\r\nConnection: ${connection}\r\nConnection: close\r\n` +
    `Content-Length: ${Buffer.byteLength(smuggled)}\r\n\r\n${smuggled}`;
  const chunked = (method: string, connection: string) =>
    `${method} /api/users/me HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer TOKEN\r\nConnection: ${connection}\r\nConnection: close\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(smuggled).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;

  const attempts: { name: string; raw: string }[] = [
    ...['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH'].map((method) => ({
      name: `${method} with a body and Connection naming content-length`,
      raw: withLength(method, 'keep-alive, content-length'),
    })),
    ...['GET', 'POST'].map((method) => ({ name: `${method} chunked with Connection naming transfer-encoding`, raw: chunked(method, 'keep-alive, transfer-encoding') })),
    { name: 'GET with a body and Connection naming host', raw: withLength('GET', 'keep-alive, host') },
    { name: 'POST with Connection naming host', raw: withLength('POST', 'keep-alive, host') },
    { name: 'POST with Connection naming authorization', raw: withLength('POST', 'keep-alive, authorization') },
    { name: 'GET with a framed body', raw: withLength('GET', 'keep-alive') },
    { name: 'HEAD chunked', raw: chunked('HEAD', 'keep-alive') },
  ];

  for (const attempt of attempts) {
    it(`When a client sends ${attempt.name}, then it is refused with 400 and the next client gets its own answer`, async () => {
      parsed.length = 0;

      const answer = await rawExchange(gateway.url, attempt.raw.replace('TOKEN', issuer.user()));
      const reachedUpstream = [...parsed];

      // The victim first: on a poisoned connection it is the victim who gets the wrong answer.
      await assertVictimGetsOwnAnswers();
      assert.equal(statusOf(answer), 400, answer.slice(0, 200));
      if (!attempt.raw.startsWith('HEAD')) assert.match(answer, /application\/problem\+json[\s\S]*REQUEST\.MALFORMED/);
      assert.deepEqual(reachedUpstream, [], 'a refused request reached the upstream');
    });
  }

  for (const method of ['DELETE', 'POST', 'PUT', 'PATCH']) {
    it(`When a ${method} carries a framed body, then the upstream parses exactly that one request with every byte, and the next client gets its own answer`, async () => {
      parsed.length = 0;

      const answer = await rawExchange(gateway.url, withLength(method, 'keep-alive').replace('TOKEN', issuer.user()));

      assert.equal(statusOf(answer), 200, answer.slice(0, 200));
      assert.equal(parsed.length, 1);
      assert.equal(parsed[0]?.method, method);
      assert.equal(parsed[0]?.bytes, Buffer.byteLength(smuggled));
      await assertVictimGetsOwnAnswers();
    });
  }

  it('When an OPTIONS preflight carries a body and Connection naming content-length, then the gateway answers it itself and the next client gets its own answer', async () => {
    parsed.length = 0;

    const answer = await rawExchange(gateway.url, withLength('OPTIONS', 'keep-alive, content-length').replace('TOKEN', issuer.user()));

    assert.equal(statusOf(answer), 204, answer.slice(0, 200));
    assert.deepEqual(parsed, []);
    await assertVictimGetsOwnAnswers();
  });

  it('When a GET carries Content-Length: 0, then it is forwarded as a GET without a body', async () => {
    parsed.length = 0;

    const answer = await rawExchange(
      gateway.url,
      `GET /api/users/me HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${issuer.user()}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );

    assert.equal(statusOf(answer), 200, answer.slice(0, 200));
    assert.deepEqual(
      parsed.map((echo) => [echo.method, echo.bytes]),
      [['GET', 0]],
    );
  });
});
