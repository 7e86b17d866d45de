import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per service with the process defaults, HTTP request timings and the
 * messaging counters. Route labels use the matched route pattern, never the raw URL, so ids do not
 * explode the label cardinality.
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  requestsShed: Counter;
  eventsPublished: Counter<'type'>;
  eventsConsumed: Counter<'type' | 'outcome'>;
  eventsDeadLettered: Counter<'queue' | 'type'>;
  gauge(name: string, help: string): Gauge;
}

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    requestsShed: new Counter({
      name: 'http_requests_shed_total',
      help: 'Requests refused with 503 because MAX_CONCURRENT_REQUESTS were already in progress',
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Domain events confirmed by the broker, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Domain events handled, by type and outcome (processed, duplicate, retried, dead_lettered)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    // Its own series, per queue, so an alert on `increase(...) > 0` names the queue whose DLQ to inspect.
    eventsDeadLettered: new Counter({
      name: 'events_dead_lettered_total',
      help: 'Messages moved to a dead-letter queue (<queue>.dlq) after failing every retry or breaking the contract, by consuming queue and event type',
      labelNames: ['queue', 'type'],
      registers: [registry],
    }),
    gauge(name, help) {
      const existing = registry.getSingleMetric(name);
      if (existing) return existing as Gauge;
      return new Gauge({ name, help, registers: [registry] });
    },
  };
}
