import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { createHttpApp } from '../src/http/express-app';
import { HealthRegistry } from '../src/health';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';

describe('load shedding (MAX_CONCURRENT_REQUESTS)', () => {
  let server: Server;
  let base: string;
  const metrics = createMetrics('shedding-test');
  const held: Array<() => void> = [];

  before(async () => {
    const routes = express.Router().get('/slow', (_req, res) => {
      held.push(() => res.json({ ok: true }));
    });
    const app = createHttpApp({ logger: createLogger('shedding-test', 'silent'), health: new HealthRegistry(), metrics, maxConcurrentRequests: 2, routes: [routes] });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    for (const release of held) release();
    server.close();
  });

  it('When the limit is in progress, then the next request is 503 problem with Retry-After at once, health still answers, and a freed slot admits again', async () => {
    const first = fetch(`${base}/slow`);
    const second = fetch(`${base}/slow`);
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const shed = await fetch(`${base}/slow`);
    const health = await fetch(`${base}/health/live`);
    held.shift()?.();
    await first;
    const admitted = fetch(`${base}/slow`);
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const release of held.splice(0)) release();

    assert.equal(shed.status, 503);
    assert.equal(shed.headers.get('retry-after'), '1');
    assert.equal(((await shed.json()) as { code: string }).code, 'SERVICE.OVERLOADED');
    assert.equal(health.status, 200);
    assert.equal((await admitted).status, 200);
    assert.equal((await second).status, 200);
    assert.match(await metrics.registry.getSingleMetricAsString('http_requests_shed_total'), /http_requests_shed_total\{service="shedding-test"\} 1/);
  });
});
