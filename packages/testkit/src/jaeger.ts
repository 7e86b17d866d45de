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

/** The spans Jaeger holds for a trace so far (none when it has not heard of it yet). */
export async function traceSpans(traceId: string): Promise<TraceSpan[]> {
  const response = await fetch(`${testInfra().jaeger.url}/api/traces/${traceId}`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for trace ${traceId}: ${await response.text()}`);
  const body = (await response.json()) as { data?: JaegerTrace[] };
  const trace = body.data?.[0];
  if (!trace) return [];
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

/** The services Jaeger has received at least one span from. */
export async function tracedServices(): Promise<string[]> {
  const response = await fetch(`${testInfra().jaeger.url}/api/services`);
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for its services: ${await response.text()}`);
  const body = (await response.json()) as { data?: string[] | null };
  return body.data ?? [];
}
