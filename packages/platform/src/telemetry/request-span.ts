import type { Request, RequestHandler, Response } from 'express';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { routeOf } from '../http/route-label';

/**
 * Probes, scrapes and the services' polls of user-service's keys and token revocations are not
 * worth a trace each: every instance polls every few seconds, outside any request.
 */
export const OPERATIONAL_PATH = /^\/(health|metrics|\.well-known)(\/|$|\?)/;

/** Whether this process exports traces: the condition on which the preload starts the SDK. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  return Boolean(endpoint) && env['OTEL_SDK_DISABLED'] !== 'true';
}

/**
 * The server span of every HTTP request, installed first by every service (Express and NestJS):
 * it continues the caller's W3C trace context and runs the rest of the request in the span's
 * context, so the queries, calls and events of the request belong to it. Named after the route
 * that served it once the answer is out (`POST /orders`, `GET /products/:id`, at the gateway
 * `POST /api/orders/*`). The public edge (the gateway) does not continue a caller's trace: any
 * client could otherwise put all its requests into the sample (or out of it) by its `traceparent`.
 *
 * **Instead of OpenTelemetry's http instrumentation, on purpose.** That one does its work before
 * the sampler decides: for every request, sampled or not, it parses the URL and the host header,
 * builds a dozen attributes, and binds the request and the response (every listener anyone adds to
 * them is wrapped). At 10 % sampling, nine requests in ten paid that for a span nobody keeps: at
 * the gateway, which proxies every request, it was most of what tracing cost (bench/README.md,
 * "Tracing on and off"). Here an unsampled request costs the context's extraction and a span id;
 * attributes and listeners are for the requests that are recorded. Nothing needs binding: the
 * callbacks that read a request's body run in the context the request started in (tested).
 */
export function requestSpans(options: { continueCallerTraces: boolean }): RequestHandler {
  const tracer = trace.getTracer('@oip/platform');
  return (req, res, next) => {
    if (OPERATIONAL_PATH.test(req.url)) {
      next();
      return;
    }
    const parent = options.continueCallerTraces ? propagation.extract(ROOT_CONTEXT, req.headers) : ROOT_CONTEXT;
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) record(span, req, res);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Attributes after OpenTelemetry's HTTP semantic conventions, and the end of the span. */
function record(span: Span, req: Request, res: Response): void {
  span.setAttributes({
    'http.request.method': req.method,
    'url.path': req.path,
    'url.scheme': req.protocol,
    'network.protocol.version': req.httpVersion,
    'client.address': req.socket.remoteAddress ?? '',
    'user_agent.original': req.headers['user-agent'] ?? '',
  });
  // 'close' comes after 'finish', or alone when the client went away before the answer was out.
  res.once('close', () => {
    const route = routeOf(req, res);
    if (route !== undefined) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
    if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
    else {
      span.setAttribute('http.response.status_code', res.statusCode);
      // A 4xx is the caller's mistake, not a failure of this server (the conventions say the same).
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  });
}
