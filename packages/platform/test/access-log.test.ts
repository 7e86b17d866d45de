import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import pino from 'pino';
import { waitFor } from '@oip/testkit';
import { accessLogLevel, createHttpApp } from '../src/http/express-app';
import { HealthRegistry } from '../src/health';
import { createMetrics } from '../src/metrics';

interface Line {
  level: number;
  msg: string;
  req?: { id: string; url: string };
  res?: { statusCode: number };
}

/** An app whose log lines (at `level` and above) land in `lines`. */
async function appLoggingAt(level: string, lines: Line[]): Promise<{ server: Server; base: string }> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  const routes = express.Router().get('/things/:id', (req, res) => {
    if (req.params['id'] === 'missing') res.status(404).json({ code: 'THING.NOT_FOUND' });
    else res.json({ id: req.params['id'] });
  });
  const app = createHttpApp({ logger: pino({ level }, sink), health: new HealthRegistry(), metrics: createMetrics('access-log-test'), maxConcurrentRequests: 10, routes: [routes] });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('access log', () => {
  const atInfo: Line[] = [];
  const atDebug: Line[] = [];
  let info: { server: Server; base: string };
  let debug: { server: Server; base: string };

  before(async () => {
    info = await appLoggingAt('info', atInfo);
    debug = await appLoggingAt('debug', atDebug);
  });

  after(() => {
    info.server.close();
    debug.server.close();
  });

  it('When a request is answered, then success is debug, a refusal warn, a failure error and a shed request warn', () => {
    assert.deepEqual(
      [accessLogLevel(200, false), accessLogLevel(304, false), accessLogLevel(404, false), accessLogLevel(500, false), accessLogLevel(503, true)],
      ['debug', 'debug', 'warn', 'error', 'warn'],
    );
  });

  it('When the level is info, then a successful request writes no line and a refused one writes a warn line with its request id', async () => {
    await (await fetch(`${info.base}/things/1`)).text();
    const refused = await fetch(`${info.base}/things/missing`, { headers: { 'x-request-id': 'refused-1' } });
    // The line is written when the answer has left: after the client may have it.
    await waitFor(() => atInfo.find((line) => line.req?.id === 'refused-1'), 2000, 5);

    assert.equal(refused.status, 404);
    const access = atInfo.filter((line) => line.msg === 'request completed');
    assert.deepEqual(
      access.map((line) => [line.level, line.req?.id, line.req?.url, line.res?.statusCode]),
      [[40, 'refused-1', '/things/missing', 404]],
    );
  });

  it('When the level is debug, then every request writes its line with its request id', async () => {
    await fetch(`${debug.base}/things/1`, { headers: { 'x-request-id': 'ok-1' } });
    await waitFor(() => atDebug.find((line) => line.req?.id === 'ok-1'), 2000, 5);

    const access = atDebug.filter((line) => line.msg === 'request completed');
    assert.deepEqual(
      access.map((line) => [line.level, line.req?.id, line.res?.statusCode]),
      [[20, 'ok-1', 200]],
    );
  });
});
