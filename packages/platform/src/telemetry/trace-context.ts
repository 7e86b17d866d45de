import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';

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
 * nodemailer's pooled sockets); a failure marks the span as an error and is rethrown. Outside
 * recorded work it is only `work`: such a call is a leaf, and nothing of it travels on.
 */
export function clientSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  if (trace.getActiveSpan()?.isRecording() !== true) return work();
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
 * The trace context of an HTTP call that no instrumentation sees (the gateway's proxy streams
 * through node:http; see request-span.ts), written into the call's `headers`. Inside recorded work
 * the call is a client span of its own, and the answer is `done` with the status code or the
 * failure; inside unrecorded work only the context travels, so the next service drops the trace
 * too, and `done` is undefined.
 */
export function outgoingCall(method: string, url: URL, headers: Record<string, unknown>): ((outcome: number | Error) => void) | undefined {
  if (trace.getActiveSpan()?.isRecording() !== true) {
    propagation.inject(context.active(), headers);
    return undefined;
  }
  const span = trace.getTracer('@oip/platform').startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': method, 'server.address': url.hostname, 'server.port': Number(url.port), 'url.full': url.href },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return (outcome) => {
    // Once: a call can fail after its answer began.
    if (!span.isRecording()) return;
    if (outcome instanceof Error) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
    else {
      span.setAttribute('http.response.status_code', outcome);
      if (outcome >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
}
