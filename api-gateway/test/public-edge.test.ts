import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listen } from '@oip/platform';
import { request, startService, type ServiceProcess, testInfra } from '@oip/testkit';

/** What the gateway's public port gives to a caller without an access token (hardening, item 5). */
describe('api-gateway public edge', () => {
  let upstream: Server;
  let gateway: ServiceProcess;
  const arrived: string[] = [];

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.url !== '/health/live') arrived.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    const url = `http://127.0.0.1:${await listen(upstream, 0, '127.0.0.1')}`;
    // No METRICS_TOKEN: the gateway must not serve its metrics at all.
    gateway = await startService('api-gateway', 'GATEWAY_PORT', {
      RABBITMQ_URL: testInfra().rabbitmqUrl,
      USER_SERVICE_URL: url,
      PRODUCT_SERVICE_URL: url,
      ORDER_SERVICE_URL: url,
      INVENTORY_SERVICE_URL: url,
      NOTIFICATION_SERVICE_URL: url,
      JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      // Low enough for the last test to reach it, high enough for start-up probes and the others.
      RATE_LIMIT_PER_MINUTE: '40',
    });
  });

  after(async () => {
    await gateway?.stop();
    upstream?.close();
  });

  it('When /metrics is asked on the public port and no metrics token is configured, then 404 and nothing of the process shows', async () => {
    const answer = await fetch(`${gateway.url}/metrics`);
    const text = await answer.text();

    assert.equal(answer.status, 404);
    assert.doesNotMatch(text, /process_|http_request_duration/);
  });

  it('When a client logs out with only its refresh token, then the gateway forwards it without asking for an access token', async () => {
    arrived.length = 0;

    const answer = await request('POST', `${gateway.url}/api/auth/logout`, { body: { refreshToken: 'some-refresh-token' } });

    assert.equal(answer.status, 204);
    assert.deepEqual(arrived, ['POST /auth/logout']);
  });

  it('When a client exceeds the rate limit, then 429 with the same code the NestJS services use', async () => {
    let answer = await request('GET', `${gateway.url}/no-such-route`);
    for (let sent = 1; answer.status !== 429 && sent < 60; sent += 1) answer = await request('GET', `${gateway.url}/no-such-route`);

    assert.equal(answer.status, 429);
    assert.equal(answer.body['code'], 'REQUEST.RATE_LIMITED');
  });
});
