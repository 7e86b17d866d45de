import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * The W3C trace context of the work in progress, through OpenTelemetry's API: without the SDK
 * (OTEL_EXPORTER_OTLP_ENDPOINT unset) the API is a no-op and every function here answers "none".
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/**
 * The event with the trace context of the work that produces it (CloudEvents distributed-tracing
 * extension), stamped when it enters an outbox, so the relay that publishes it later — from a loop
 * outside any request — still publishes it in the request's trace. An event that has one keeps it.
 */
export function withTraceparent<E extends { traceparent?: string }>(event: E): E {
  if (event.traceparent) return event;
  const traceparent = currentTraceparent();
  return traceparent ? { ...event, traceparent } : event;
}

/** The context a stored `traceparent` names, or the active one when there is none. */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
}

/** Ids for log lines (snake case, as OpenTelemetry's log data model names them). */
export function currentTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : undefined;
}

/**
 * `work` as a client span of its own, for a call no instrumentation sees (SMTP through
 * nodemailer's pooled sockets); a failure marks the span as an error and is rethrown.
 */
export function clientSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return trace.getTracer('@oip/platform').startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Names the span of the HTTP request in progress after its route once the route is known (the
 * http instrumentation reads it when the response closes: `POST /orders/:id/cancel`, and
 * `http.route`), or undefined when the request is not recorded. The platform does this once per
 * request instead of Express's instrumentation, which ran for every middleware layer.
 */
export function requestSpanNamer(): ((route: string) => void) | undefined {
  const request = getRPCMetadata(context.active());
  if (request?.type !== RPCType.HTTP || !request.span.isRecording()) return undefined;
  return (route) => {
    request.route = route;
  };
}
