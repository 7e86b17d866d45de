import { testInfra } from './infrastructure';

/** One span of a trace as Jaeger's HTTP API returns it, flattened for assertions. */
export interface TraceSpan {
  spanId: string;
  /** The CHILD_OF parent, if any. */
  parentId: string | undefined;
  service: string;
  name: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  kind: string;
  /** Microseconds since the epoch. */
  start: number;
  end: number;
  tags: Record<string, unknown>;
}

interface JaegerTrace {
  spans: Array<{
    spanID: string;
    operationName: string;
    references?: Array<{ refType: string; spanID: string }>;
    startTime: number;
    duration: number;
    processID: string;
    tags?: Array<{ key: string; value: unknown }>;
  }>;
  processes: Record<string, { serviceName: string }>;
}

function spansOf(trace: JaegerTrace): TraceSpan[] {
  return trace.spans.map((span) => {
    const tags = Object.fromEntries((span.tags ?? []).map((tag) => [tag.key, tag.value]));
    return {
      spanId: span.spanID,
      parentId: span.references?.find((reference) => reference.refType === 'CHILD_OF')?.spanID,
      service: trace.processes[span.processID]?.serviceName ?? 'unknown',
      name: span.operationName,
      kind: typeof tags['span.kind'] === 'string' ? tags['span.kind'] : 'internal',
      start: span.startTime,
      end: span.startTime + span.duration,
      tags,
    };
  });
}

async function jaeger(path: string): Promise<JaegerTrace[]> {
  const response = await fetch(`${testInfra().jaeger.url}${path}`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for ${path}: ${await response.text()}`);
  const body = (await response.json()) as { data?: JaegerTrace[] | null };
  return body.data ?? [];
}

/** The spans Jaeger holds for a trace so far (none when it has not heard of it yet). */
export async function traceSpans(traceId: string): Promise<TraceSpan[]> {
  const [trace] = await jaeger(`/api/traces/${traceId}`);
  return trace ? spansOf(trace) : [];
}

/** The traces (each as its spans) in which `service` recorded a span since `sinceMs` (epoch milliseconds). */
export async function tracesOf(service: string, sinceMs: number): Promise<TraceSpan[][]> {
  const query = new URLSearchParams({ service, start: String(sinceMs * 1000), end: String((Date.now() + 60_000) * 1000), limit: '1000' });
  return (await jaeger(`/api/traces?${query.toString()}`)).map(spansOf);
}
