import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { countingSampler } from './counting-sampler';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Connection } from 'mongoose';
import type { Client } from 'pg';
import { assertTestDatabaseName, testInfra } from '@oip/testkit';
import { tracedModules } from '../src/telemetry/instrumentations';
import { clientSpan } from '../src/telemetry/trace-context';

/**
 * The instrumentations as every service runs them, against a real MongoDB-wire server, a real
 * PostgreSQL and a real RabbitMQ: a command, a query or a confirmed publish inside a sampled
 * request is a span of that request; inside an unsampled one (nine in ten at 10 % sampling) it
 * builds no span at all — the sampler is not even asked.
 */
describe('Tracing database commands and publishes only inside sampled work', () => {
  const exporter = new InMemorySpanExporter();
  const asked: string[] = [];
  const sdk = new NodeSDK({ sampler: countingSampler(asked), spanProcessors: [new SimpleSpanProcessor({ exporter })], instrumentations: tracedModules() });
  let db: Connection;
  let pg: Client;
  let broker: ChannelModel;
  let channel: ConfirmChannel;

  before(async () => {
    sdk.start();
    // Loaded only now, so that the instrumentation patches the driver as the services' preload does.
    const { default: mongoose } = await import('mongoose');
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName: assertTestDatabaseName('platform_tracing_test'), retryWrites: false }).asPromise();
    const { Client } = await import('pg');
    pg = new Client({ ...testInfra().postgres, database: 'postgres' });
    await pg.connect();
    const amqp = await import('amqplib');
    broker = await amqp.connect(testInfra().rabbitmqUrl);
    channel = await broker.createConfirmChannel();
  });

  after(async () => {
    await db.dropDatabase();
    await db.close();
    await pg.end();
    await broker.close();
    await sdk.shutdown();
  });

  /**
   * A request's span under `parent`, with one MongoDB find, one PostgreSQL query, one confirmed
   * publish (to the default exchange, for no queue: the broker confirms it all the same) and one
   * call of the platform's own `clientSpan` (as notification-service sends mail) inside it.
   */
  const requestWithFind = (parent: Context) =>
    context.with(parent, () =>
      trace.getTracer('test').startActiveSpan('request', async (span) => {
        try {
          await db.collection('things').findOne({ name: 'x' });
          await pg.query('SELECT $1::int AS answer', [42]);
          channel.publish('', 'telemetry-sampling-test-nowhere', Buffer.from('{}'));
          await channel.waitForConfirms();
          await clientSpan('smtp send', {}, () => Promise.resolve());
          return span.spanContext().spanId;
        } finally {
          span.end();
        }
      }),
    );
  const remoteParent = (traceFlags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags, isRemote: true });

  it('When a find, a query, a publish and a mail run inside a sampled request, then each is a span of that request', async () => {
    exporter.reset();
    const requestSpanId = await requestWithFind(remoteParent(TraceFlags.SAMPLED));

    const names = exporter.getFinishedSpans().map((span) => span.name).join(', ');
    const find = exporter.getFinishedSpans().find((span) => span.name === 'find things');
    const query = exporter.getFinishedSpans().find((span) => span.name.startsWith('pg.query'));
    const publish = exporter.getFinishedSpans().find((span) => span.name.startsWith('publish'));
    const smtp = exporter.getFinishedSpans().find((span) => span.name === 'smtp send');
    assert.ok(find, `spans: ${names}`);
    assert.ok(query, `spans: ${names}`);
    assert.ok(publish, `spans: ${names}`);
    assert.ok(smtp, `spans: ${names}`);
    for (const span of [find, query, publish, smtp]) assert.equal(span.parentSpanContext?.spanId, requestSpanId, span.name);
  });

  it('When an event is published in the sampled trace its traceparent names, outside any request, then the publish is a span of that trace', async () => {
    exporter.reset();
    // As the outbox relays publish: in the context of the stored traceparent, a remote parent.
    await context.with(remoteParent(TraceFlags.SAMPLED), async () => {
      channel.publish('', 'telemetry-sampling-test-nowhere', Buffer.from('{}'));
      await channel.waitForConfirms();
    });

    const publish = exporter.getFinishedSpans().find((span) => span.name.startsWith('publish'));
    assert.ok(publish, `spans: ${exporter.getFinishedSpans().map((span) => span.name).join(', ')}`);
    assert.equal(publish.parentSpanContext?.spanId, 'b7ad6b7169203331');
  });

  it('When a message of a sampled and one of an unsampled trace are consumed, then only the first is a span, and each handler runs in its trace', async () => {
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const sampled = '4bf92f3577b34da6a3ce929d0e0e4736';
    const unsampled = '5bf92f3577b34da6a3ce929d0e0e4736';
    const seen: Array<{ traceId: string | undefined; recording: boolean }> = [];
    const handled = new Promise<void>((resolve) => {
      void channel.consume(queue, (message) => {
        const span = trace.getActiveSpan();
        seen.push({ traceId: span?.spanContext().traceId, recording: span?.isRecording() === true });
        if (message) channel.ack(message);
        if (seen.length === 2) resolve();
      });
    });
    exporter.reset();
    asked.length = 0;
    // Published outside any trace: the headers are the test's own.
    channel.publish('', queue, Buffer.from('{}'), { headers: { traceparent: `00-${sampled}-b7ad6b7169203331-01` } });
    channel.publish('', queue, Buffer.from('{}'), { headers: { traceparent: `00-${unsampled}-b7ad6b7169203331-00` } });
    await channel.waitForConfirms();
    await handled;

    assert.deepEqual(seen, [
      { traceId: sampled, recording: true },
      { traceId: unsampled, recording: false },
    ]);
    assert.deepEqual(asked, [`${queue} process`], 'only the sampled message asked the sampler');
    const consumed = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CONSUMER);
    assert.deepEqual(consumed.map((span) => span.spanContext().traceId), [sampled]);
  });

  it('When a find, a query, a publish and a mail run inside an unsampled request, then no span is started for any', async () => {
    asked.length = 0;
    exporter.reset();
    await requestWithFind(remoteParent(TraceFlags.NONE));

    assert.deepEqual(asked, ['request'], 'only the request itself asked the sampler');
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });

  it('When a pool hands out and takes back a connection, then nothing of OpenTelemetry listens to it', async () => {
    const { Pool } = await import('pg');
    const pool = new Pool({ ...testInfra().postgres, database: 'postgres', max: 1 });
    try {
      // Inside a request (its span unsampled, as nine in ten are at 10 %): the instrumentation
      // leaves a pool alone outside any span.
      await context.with(remoteParent(TraceFlags.NONE), () => pool.query('SELECT 1'));

      assert.deepEqual(['connect', 'acquire', 'release', 'remove'].map((event) => pool.listenerCount(event)), [0, 0, 0, 0]);
    } finally {
      await pool.end();
    }
  });
});
