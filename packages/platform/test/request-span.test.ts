import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { countingSampler } from './counting-sampler';
import express from 'express';
import pino from 'pino';
import { waitFor } from '@oip/testkit';
import { createHttpApp } from '../src/http/express-app';
import { HealthRegistry } from '../src/health';
import { createMetrics } from '../src/metrics';
import { outgoingCall } from '../src/telemetry/trace-context';

/**
 * The platform's span per HTTP request, on a real server with OpenTelemetry's SDK in process: what
 * it records for a sampled caller, that an unsampled one costs no span and still passes its
 * decision on, and that the request's context reaches the handler across a body read in chunks.
 */
describe('A span per HTTP request', () => {
  const exporter = new InMemorySpanExporter();
  const asked: string[] = [];
  const sdk = new NodeSDK({ sampler: countingSampler(asked), spanProcessors: [new SimpleSpanProcessor({ exporter })], instrumentations: [] });
  const servers: Server[] = [];
  let inner: string;
  let edge: string;

  /** The handler answers with the span it ran in and the trace context it would send on. */
  const routes = express
    .Router()
    .post('/things/:id', (req, res) => {
      const headers: Record<string, unknown> = {};
      const done = outgoingCall('GET', new URL('http://127.0.0.1:1/next'), headers);
      done?.(200);
      res.status(201).json({ spanId: trace.getActiveSpan()?.spanContext().spanId, sent: headers['traceparent'], size: JSON.stringify(req.body).length });
    })
    .get('/broken', () => {
      throw new Error('broken on purpose');
    })
    .get('/slow', () => undefined);

  async function serve(continueCallerTraces: boolean): Promise<string> {
    const app = createHttpApp({ logger: pino({ level: 'silent' }), health: new HealthRegistry(), metrics: createMetrics('request-span-test'), maxConcurrentRequests: 10, routes: [routes], continueCallerTraces, bodyLimit: '2mb' });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  before(async () => {
    // What the preload looks at; the spans go to the exporter above.
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://127.0.0.1:1';
    sdk.start();
    inner = await serve(true);
    edge = await serve(false);
  });

  after(async () => {
    for (const server of servers) server.close();
    await sdk.shutdown();
  });

  const callerTrace = '0af7651916cd43dd8448eb211c80319c';
  const callerSpan = 'b7ad6b7169203331';
  // Big enough to arrive in many chunks: the handler runs after the body's last one.
  const body = JSON.stringify({ filler: 'x'.repeat(512 * 1024) });
  const post = (base: string, flags: string) =>
    fetch(`${base}/things/42`, { method: 'POST', body, headers: { 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-${flags}`, 'user-agent': 'span-test' } });
  const finished = async (count: number): Promise<ReadableSpan[]> =>
    waitFor(() => (exporter.getFinishedSpans().length >= count ? exporter.getFinishedSpans() : undefined), 5_000, 20);

  it('When a sampled caller posts a large body, then the request is a server span of its trace named after the route, and the handler runs inside it', async () => {
    exporter.reset();
    const answer = await post(inner, '01');
    const seen = (await answer.json()) as { spanId: string; sent: string; size: number };
    assert.equal(answer.status, 201);
    assert.equal(seen.size, body.length);

    const spans = await finished(2);
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    const client = spans.find((span) => span.kind === SpanKind.CLIENT);
    assert.ok(server && client, spans.map((span) => span.name).join(', '));
    assert.equal(server.name, 'POST /things/:id');
    assert.equal(server.spanContext().traceId, callerTrace);
    assert.equal(server.parentSpanContext?.spanId, callerSpan);
    assert.equal(seen.spanId, server.spanContext().spanId, 'the handler ran in the request span, after reading the body');
    assert.equal(server.attributes['http.route'], '/things/:id');
    assert.equal(server.attributes['http.response.status_code'], 201);
    assert.equal(server.attributes['user_agent.original'], 'span-test');
    assert.equal(answer.headers.get('x-trace-id'), callerTrace);
    // The call it makes on is a client span of the request, and says so to the next service.
    assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(seen.sent, `00-${callerTrace}-${client.spanContext().spanId}-01`);
  });

  it('When an unsampled caller posts, then no span is recorded and the call it makes on carries the same decision', async () => {
    exporter.reset();
    asked.length = 0;
    const answer = await post(inner, '00');
    const seen = (await answer.json()) as { spanId: string; sent: string };
    assert.equal(answer.status, 201);

    assert.deepEqual(asked, ['POST'], 'the sampler was asked once, for the request');
    const [, traceId, , flags] = seen.sent.split('-');
    assert.equal(traceId, callerTrace);
    assert.equal(flags, '00');
    // Whatever the request did has ended by now; nothing of it was recorded.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });

  it("When a caller names a trace at the public edge, then the edge starts a trace of its own", async () => {
    exporter.reset();
    const answer = await post(edge, '01');
    assert.equal(answer.status, 201);

    const server = (await finished(2)).find((span) => span.kind === SpanKind.SERVER);
    assert.ok(server);
    assert.notEqual(server.spanContext().traceId, callerTrace);
    assert.equal(server.parentSpanContext, undefined);
    assert.equal(answer.headers.get('x-trace-id'), server.spanContext().traceId);
  });

  it('When a request fails or its caller goes away, then its span ends as an error; probes start no span', async () => {
    exporter.reset();
    asked.length = 0;
    assert.equal((await fetch(`${inner}/health/live`)).status, 200);
    assert.deepEqual(asked, [], 'a probe asks the sampler nothing');

    assert.equal((await fetch(`${inner}/broken`)).status, 500);
    const aborting = new AbortController();
    const slow = fetch(`${inner}/slow`, { signal: aborting.signal }).catch((error: unknown) => error);
    await waitFor(() => (asked.length >= 2 ? true : undefined), 5_000, 10);
    aborting.abort();
    await slow;

    const spans = await finished(2);
    const broken = spans.find((span) => span.name === 'GET /broken');
    const aborted = spans.find((span) => span.name === 'GET /slow');
    assert.ok(broken && aborted, spans.map((span) => span.name).join(', '));
    assert.equal(broken.status.code, SpanStatusCode.ERROR);
    assert.equal(broken.attributes['http.response.status_code'], 500);
    assert.equal(aborted.status.code, SpanStatusCode.ERROR);
    assert.equal(aborted.status.message, 'request aborted');
  });
});
