import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { Span } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Probes and scrapes are not worth a trace each. */
const OPERATIONAL = /^\/(health|metrics)(\/|$|\?)/;

/**
 * MongoDB commands traced only inside a span that records. The instrumentation's own
 * `requireParentSpan` also counts an unsampled parent, so with 10 % sampling nine orders in ten
 * still built each command's attributes for a span nobody keeps.
 */
function mongoDbInRecordedWork(): MongoDBInstrumentation {
  const instrumentation = new MongoDBInstrumentation({ requireParentSpan: true });
  // A private method, so replaced on this instance: the config has no hook for it.
  const skipping = instrumentation as unknown as { _checkSkipInstrumentation(current: Span | undefined): boolean };
  skipping._checkSkipInstrumentation = (current) => current === undefined || !current.isRecording();
  return instrumentation;
}

/**
 * The instrumentations of every service, set up so that only requests and messages start traces,
 * with one span per request (http, named after the express route) and none per middleware or
 * NestJS handler: those cost CPU on every request, sampled or not, and add nothing an operator
 * reads in a trace that the request's span and its queries do not already say.
 */
export function tracedModules(): NodeSDKConfiguration['instrumentations'] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => OPERATIONAL.test(request.url ?? ''),
      requireParentforOutgoingSpans: true,
    }),
    new UndiciInstrumentation({ requireParentforSpans: true, ignoreRequestHook: (request) => OPERATIONAL.test(request.path) }),
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    // A pool checkout is not a query: a span for it on every transaction doubles pg's spans.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    mongoDbInRecordedWork(),
    new AmqplibInstrumentation(),
  ];
}
