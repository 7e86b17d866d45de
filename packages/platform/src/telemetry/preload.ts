/**
 * OpenTelemetry tracing for a service process, loaded before anything else with
 * `node --require @oip/platform/telemetry dist/src/main.js`: the instrumentations patch pg,
 * mongodb, amqplib and fetch (undici) as they are first required (HTTP requests get their spans
 * from the platform's `requestSpans`), so this must
 * run before the service's own code loads them. Spans go over OTLP/HTTP to
 * OTEL_EXPORTER_OTLP_ENDPOINT; without it (or with OTEL_SDK_DISABLED=true) nothing is started and
 * the API stays a no-op. Sampling follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * (default: always on, parent-based). The service name is OTEL_SERVICE_NAME, else the directory
 * the entry point lives in (`<service>/dist/src/main.js`).
 *
 * Only what a request or a consumed message causes is traced: queries and outgoing calls with no
 * span around them (the outbox relays' polls, JWKS refreshes, registry heartbeats) would each be a
 * trace of their own, thousands of them an hour.
 */
import path from 'node:path';
import { tracingConfigured } from './request-span';

function serviceName(): string {
  if (process.env['OTEL_SERVICE_NAME']) return process.env['OTEL_SERVICE_NAME'];
  const entry = process.argv[1] ?? '';
  const parts = path.resolve(entry).split(path.sep);
  const dist = parts.lastIndexOf('dist');
  return (dist > 0 ? parts[dist - 1] : undefined) ?? 'unknown-service';
}

if (tracingConfigured()) {
  // Traces only: metrics stay with Prometheus, logs on stdout.
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  // Required here, not imported at the top: with tracing off none of the SDK is loaded.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { tracedModules } = require('./instrumentations') as typeof import('./instrumentations');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: serviceName(),
    traceExporter: new OTLPTraceExporter(),
    instrumentations: tracedModules(),
  });
  sdk.start();
  // Best effort for the spans still in the batch: the service's own SIGTERM handler shuts it down
  // meanwhile, and OTEL_BSP_SCHEDULE_DELAY bounds what can be lost.
  const flush = (): void => void sdk.shutdown().catch(() => undefined);
  process.once('beforeExit', flush);
  process.once('SIGTERM', flush);
}
