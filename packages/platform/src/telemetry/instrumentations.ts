import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
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

/**
 * MongoDB commands traced only inside a span that records. Outside one, a command runs the
 * driver's own code, not the instrumentation's patch (which would still read the command, wrap its
 * promise and count it); and sessions are not counted at all: the count is an OpenTelemetry
 * metric, and this platform's metrics are Prometheus'.
 */
function mongoDbInRecordedWork(): MongoDBInstrumentation {
  const instrumentation = new MongoDBInstrumentation({ requireParentSpan: true });
  // Private factories of the patches, replaced on this instance: the config has no hook for them.
  const patches = instrumentation as unknown as Record<'_getV4PatchCommandPromise' | '_getV4AcquireCommand' | '_getV4ReleaseCommand', () => (original: Patch) => Patch>;
  const tracedCommandPatch = patches._getV4PatchCommandPromise.bind(instrumentation);
  patches._getV4PatchCommandPromise = () => (original) => {
    const traced = tracedCommandPatch()(original);
    return function command(this: unknown, ...args: unknown[]) {
      return (inRecordedWork() ? traced : original).apply(this, args);
    };
  };
  const untouched = () => (original: Patch) =>
    function session(this: unknown, ...args: unknown[]) {
      return original.apply(this, args);
    };
  patches._getV4AcquireCommand = untouched;
  patches._getV4ReleaseCommand = untouched;
  return instrumentation;
}

/** PostgreSQL queries traced only inside a span that records; a pool checkout never, nor counted. */
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
  // Nor are a pool's connections counted, on its every checkout and return: the counts are
  // OpenTelemetry metrics, and this platform's metrics are Prometheus' (as for MongoDB's sessions).
  (instrumentation as unknown as { _setPoolConnectEventListeners(pool: unknown): void })._setPoolConnectEventListeners = () => undefined;
  return instrumentation;
}

/** Whether a message's `traceparent` header names a trace that is not sampled. */
function unsampledMessage(message: unknown): boolean {
  const header = (message as { properties?: { headers?: Record<string, unknown> } } | null)?.properties?.headers?.['traceparent'];
  return typeof header === 'string' && (Number.parseInt(header.slice(-2), 16) & TraceFlags.SAMPLED) === 0;
}

/**
 * Messages traced only in a sampled trace. An unsampled message is handed to its consumer in the
 * context its `traceparent` header names, and nothing more (no span, no bookkeeping until its ack);
 * an unsampled publish still carries the decision on, in the `traceparent` header the platform's
 * publisher writes itself.
 */
function amqplibInSampledTraces(): AmqplibInstrumentation {
  const instrumentation = new AmqplibInstrumentation();
  // The private factories of the patches for Channel#publish, ConfirmChannel#publish and
  // Channel#consume, wrapped on this instance as pg's query is. A confirmed publish calls the
  // plain one, so both are.
  const patches = instrumentation as unknown as Record<'getPublishPatch' | 'getConfirmedPublishPatch' | 'getConsumePatch', (version: string, original: Patch) => Patch>;
  for (const name of ['getPublishPatch', 'getConfirmedPublishPatch'] as const) {
    const tracedPatch = patches[name].bind(instrumentation);
    patches[name] = (version, original) => {
      const traced = tracedPatch(version, original);
      return function publish(this: unknown, ...args: unknown[]) {
        return (inSampledTrace() ? traced : original).apply(this, args);
      };
    };
  }
  const tracedConsumePatch = patches.getConsumePatch.bind(instrumentation);
  patches.getConsumePatch = (version, original) =>
    function consume(this: unknown, queue: unknown, onMessage: unknown, ...rest: unknown[]) {
      // The instrumentation's own handler for the message, taken from its patch run against a
      // stand-in for consume; the broker gets a handler that picks one per message.
      let traced = onMessage as Patch;
      tracedConsumePatch(version, (_queue, wrapped) => {
        traced = wrapped as Patch;
      }).call(this, queue, onMessage, ...rest);
      const plain = onMessage as Patch;
      const handler = function (this: unknown, message: unknown) {
        if (!unsampledMessage(message)) return traced.call(this, message);
        const headers = (message as { properties: { headers: Record<string, unknown> } }).properties.headers;
        return context.with(propagation.extract(ROOT_CONTEXT, headers), () => plain.call(this, message));
      };
      return original.call(this, queue, handler, ...rest);
    };
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
    amqplib: amqplibInSampledTraces,
  };
  return Object.entries(all)
    .filter(([name]) => !disabled.has(name))
    .map(([, make]) => make());
}
