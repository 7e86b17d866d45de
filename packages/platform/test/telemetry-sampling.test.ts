import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, ParentBasedSampler, AlwaysOnSampler, SimpleSpanProcessor, type Sampler } from '@opentelemetry/sdk-trace';
import type { Connection } from 'mongoose';
import { assertTestDatabaseName, testInfra } from '@oip/testkit';
import { tracedModules } from '../src/telemetry/instrumentations';

/**
 * The instrumentations as every service runs them, against a real MongoDB-wire server: a command
 * inside a sampled request is a span of that request; inside an unsampled one (nine in ten at 10 %
 * sampling) it builds no span at all — the sampler is not even asked.
 */
describe('Tracing MongoDB commands only inside sampled work', () => {
  const exporter = new InMemorySpanExporter();
  const asked: string[] = [];
  const parentBased = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const counting: Sampler = {
    shouldSample: (...args) => {
      asked.push(args[2]);
      return parentBased.shouldSample(...args);
    },
    toString: () => 'counting parent-based',
  };
  const sdk = new NodeSDK({ sampler: counting, spanProcessors: [new SimpleSpanProcessor({ exporter })], instrumentations: tracedModules() });
  let db: Connection;

  before(async () => {
    sdk.start();
    // Loaded only now, so that the instrumentation patches the driver as the services' preload does.
    const { default: mongoose } = await import('mongoose');
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName: assertTestDatabaseName('platform_tracing_test'), retryWrites: false }).asPromise();
  });

  after(async () => {
    await db.dropDatabase();
    await db.close();
    await sdk.shutdown();
  });

  /** A request's span under `parent`, with one find inside it. */
  const requestWithFind = (parent: Context) =>
    context.with(parent, () =>
      trace.getTracer('test').startActiveSpan('request', async (span) => {
        try {
          await db.collection('things').findOne({ name: 'x' });
          return span.spanContext().spanId;
        } finally {
          span.end();
        }
      }),
    );
  const remoteParent = (traceFlags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags, isRemote: true });

  it('When a find runs inside a sampled request, then it is a span of that request', async () => {
    exporter.reset();
    const requestSpanId = await requestWithFind(remoteParent(TraceFlags.SAMPLED));

    const find = exporter.getFinishedSpans().find((span) => span.name === 'find things');
    assert.ok(find, `spans: ${exporter.getFinishedSpans().map((span) => span.name).join(', ')}`);
    assert.equal(find.parentSpanContext?.spanId, requestSpanId);
  });

  it('When a find runs inside an unsampled request, then no span is started for it', async () => {
    asked.length = 0;
    exporter.reset();
    await requestWithFind(remoteParent(TraceFlags.NONE));

    assert.deepEqual(asked, ['request'], 'only the request itself asked the sampler');
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });
});
