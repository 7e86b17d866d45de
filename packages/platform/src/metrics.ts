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
  /** Time from delivery to settlement of a consumed event (the RED "duration" per event type). */
  eventHandlingDuration: Histogram<'type' | 'outcome'>;
  gauge(name: string, help: string): Gauge;
  /**
   * A gauge read when Prometheus scrapes (a database count, a queue depth) rather than kept up to
   * date by the code: `read` answers one value per label set. A failed read drops the series for
   * that scrape, so an alert sees "no data" rather than a stale number.
   */
  observe<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Array<{ labels: Partial<Record<L, string>>; value: number }>>): void;
}

/** How often the event loop's delay is sampled for `nodejs_eventloop_lag_*`. */
const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The event-loop delay is sampled every 100 ms, not every 10 (prom-client's default): that
  // timer woke each process 100 times a second, 2.6 ms of CPU per second in an idle process
  // against 0.5 at 100 ms (bench/README.md, "Idle"). A block long enough to matter still shows.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
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
    eventHandlingDuration: new Histogram({
      name: 'event_handling_duration_seconds',
      help: 'Time from delivery to settlement of a consumed event, by type and outcome',
      labelNames: ['type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    observe(name, help, labelNames, read) {
      if (registry.getSingleMetric(name)) return;
      new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        async collect() {
          this.reset();
          try {
            for (const { labels, value } of await read()) this.set(labels, value);
          } catch {
            // Left empty: the dependency it reads is away, which readiness and `up` already report.
          }
        },
      });
    },
    gauge(name, help) {
      const existing = registry.getSingleMetric(name);
      if (existing) return existing as Gauge;
      return new Gauge({ name, help, registers: [registry] });
    },
  };
}
