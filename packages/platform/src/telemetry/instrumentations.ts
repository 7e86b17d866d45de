import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { OPERATIONAL_PATH } from './request-span';

/**
 * Whether the work in progress is recorded. The instrumentations' own `requireParentSpan` also
 * counts an unsampled parent, so with 10 % sampling nine requests in ten would still build each
 * query's attributes, a span nobody keeps and its callbacks. A database span is a leaf (nothing
 * it carries reaches another process), so under an unsampled parent it can be skipped whole; the
 * spans that carry the trace onwards (requests, fetch, amqplib) are kept, or the next service would
 * start traces of its own for work the gateway decided not to sample.
 */
const inRecordedWork = (): boolean => trace.getActiveSpan()?.isRecording() === true;

/**
 * Whether the work in progress belongs to a sampled trace, recorded here or not: the outbox relays
 * publish an event in the context its `traceparent` names, a remote parent that records nothing
 * itself but whose trace is kept.
 */
function inSampledTrace(): boolean {
  const span = trace.getActiveSpan();
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

type Patch = (this: unknown, ...args: unknown[]) => unknown;

/** MongoDB commands traced only inside a span that records. */
function mongoDbInRecordedWork(): MongoDBInstrumentation {
  const instrumentation = new MongoDBInstrumentation({ requireParentSpan: true });
  // A private method, so replaced on this instance: the config has no hook for it.
  const skipping = instrumentation as unknown as { _checkSkipInstrumentation(current: Span | undefined): boolean };
  skipping._checkSkipInstrumentation = (current) => current === undefined || !current.isRecording();
  return instrumentation;
}


/** PostgreSQL queries traced only inside a span that records; a pool checkout never. */
function pgInRecordedWork(): PgInstrumentation {
  // A pool checkout is not a query: a span for it on every transaction doubles pg's spans.
  const instrumentation = new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true });
  // The private factory of the patch for Client.prototype.query, wrapped on this instance (no
  // config hook decides per call): the traced query only inside recorded work, else pg's own.
  const patches = instrumentation as unknown as { _getClientQueryPatch(): (original: Patch) => Patch };
  const tracedQueryPatch = patches._getClientQueryPatch.bind(instrumentation);
  patches._getClientQueryPatch = () => (original) => {
    const traced = tracedQueryPatch()(original);
    return function query(this: unknown, ...args: unknown[]) {
      return (inRecordedWork() ? traced : original).apply(this, args);
    };
  };
  return instrumentation;
}

/**
 * Messages traced as they are consumed, and published with a span only in a sampled trace. An
 * unsampled publish still carries its trace's "not sampled" decision: the platform's publisher
 * writes the `traceparent` header itself, which the next service's consumer span continues.
 */
function amqplibPublishInRecordedWork(): AmqplibInstrumentation {
  const instrumentation = new AmqplibInstrumentation();
  // The private factories of the patches for Channel#publish and ConfirmChannel#publish, wrapped on
  // this instance as pg's query is: a confirmed publish calls the plain one, so both are.
  const patches = instrumentation as unknown as Record<'getPublishPatch' | 'getConfirmedPublishPatch', (version: string, original: Patch) => Patch>;
  for (const name of ['getPublishPatch', 'getConfirmedPublishPatch'] as const) {
    const tracedPatch = patches[name].bind(instrumentation);
    patches[name] = (version, original) => {
      const traced = tracedPatch(version, original);
      return function publish(this: unknown, ...args: unknown[]) {
        return (inSampledTrace() ? traced : original).apply(this, args);
      };
    };
  }
  return instrumentation;
}

/**
 * The instrumentations of every service, set up so that only requests and messages start traces.
 * A request's one span is the platform's (`requestSpans`, which says why not OpenTelemetry's http
 * instrumentation), with none per middleware or handler: Express's and NestJS's instrumentations
 * are left out on purpose, since they run code for every middleware layer of every request,
 * sampled or not, to make spans an operator does not need next to the request's own and its queries.
 */
export function tracedModules(): NodeSDKConfiguration['instrumentations'] {
  // An instrumentation patches its module as soon as it is constructed: one that is turned off
  // (OTEL_NODE_DISABLED_INSTRUMENTATIONS, OpenTelemetry's name for it) is never constructed.
  const disabled = new Set((process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] ?? '').split(',').map((name) => name.trim()));
  const all: Record<string, () => NonNullable<NodeSDKConfiguration['instrumentations']>[number]> = {
    undici: () => new UndiciInstrumentation({ requireParentforSpans: true, ignoreRequestHook: (request) => OPERATIONAL_PATH.test(request.path) }),
    pg: pgInRecordedWork,
    mongodb: mongoDbInRecordedWork,
    amqplib: amqplibPublishInRecordedWork,
  };
  return Object.entries(all)
    .filter(([name]) => !disabled.has(name))
    .map(([, make]) => make());
}
