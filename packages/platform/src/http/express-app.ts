import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { HealthRegistry } from '../health';
import type { Metrics } from '../metrics';
import { runWithContext } from '../request-context';
import { currentTraceIds } from '../telemetry/trace-context';
import { requestSpans, tracingConfigured } from '../telemetry/request-span';
import { routeOf } from './route-label';
import { ErrorCode, problem } from '../errors';
import { metricsRefusal, type MetricsAccess } from './metrics-access';
import { trustProxySetting } from './trusted-proxies';
import { errorHandler, notFoundHandler, sendProblem } from './problem-response';
import { jsonBody } from './json-body';

export const REQUEST_ID_HEADER = 'x-request-id';
/** The trace the request was recorded in (tracing on), for finding it in Jaeger. */
export const TRACE_ID_HEADER = 'x-trace-id';
const validRequestId = /^[\w.:-]{1,128}$/;

/**
 * Takes the caller's request id when it is sane, else makes one; echoes it, and the trace id when
 * the request is traced, and scopes the work with it.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.header(REQUEST_ID_HEADER);
  const id = incoming && validRequestId.test(incoming) ? incoming : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  const trace = currentTraceIds();
  if (trace) res.setHeader(TRACE_ID_HEADER, trace.trace_id);
  runWithContext({ requestId: id }, next);
};

/** The level of a finished request's access line; see accessLog. */
export function accessLogLevel(statusCode: number, shed: boolean): 'debug' | 'warn' | 'error' {
  // A shed request is expected under overload (and counted in metrics): logging each at error
  // level would flood the log exactly when the process is busiest.
  if (shed) return 'warn';
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'debug';
}

/**
 * The request's duration in http_request_duration_seconds and its access line, from one listener.
 * A successful request is logged at debug: its count and latency per route are in the histogram
 * already, and a line per read at info cost more CPU (formatting, redaction, a write to the log)
 * than answering the read did. Refusals (4xx) at warn and failures (5xx) at error keep the request
 * id an operator needs; LOG_LEVEL=debug brings back a line per request.
 */
export function accessLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const finished = (aborted: boolean) => {
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(req, res);
      if (!aborted) metrics.httpDuration.observe({ method: req.method, route: route ?? 'unmatched', status: String(res.statusCode) }, seconds);
      const url = req.originalUrl;
      if (url.startsWith('/health') || url === '/metrics') return;
      const level = aborted ? 'warn' : accessLogLevel(res.statusCode, res.locals['shed'] === true);
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { req: { id: req.headers[REQUEST_ID_HEADER], method: req.method, url }, res: { statusCode: res.statusCode }, responseTime: Math.round(seconds * 1000) },
        aborted ? 'request aborted' : 'request completed',
      );
    };
    res.on('finish', () => finished(false));
    res.on('close', () => {
      if (!res.writableFinished) finished(true);
    });
    next();
  };
}

/**
 * Load shedding: past `limit` requests in progress, a new one is answered 503 with Retry-After at
 * once instead of queueing. Under overload a queue only grows — memory with it — until requests
 * time out at the caller anyway; refusing early keeps latency and memory bounded for the requests
 * that are admitted. Health and metrics are never shed.
 */
export function admissionControl(limit: number, metrics: Metrics): RequestHandler {
  let inProgress = 0;
  return (req, res, next) => {
    if (req.path.startsWith('/health') || req.path === '/metrics') {
      next();
      return;
    }
    if (inProgress >= limit) {
      metrics.requestsShed.inc();
      res.locals['shed'] = true;
      res.setHeader('retry-after', '1');
      sendProblem(res, problem(503, ErrorCode.SERVICE_OVERLOADED, 'The service is busy; retry shortly'));
      return;
    }
    inProgress += 1;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      inProgress -= 1;
    };
    res.on('finish', release);
    res.on('close', release);
    next();
  };
}

export function operationalRoutes(health: HealthRegistry, metrics: Metrics, metricsAccess: MetricsAccess = {}): Router {
  const router = express.Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const report = await health.readiness();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  router.get('/metrics', async (req, res) => {
    const refused = metricsRefusal(req.header('authorization'), metricsAccess);
    if (refused) {
      sendProblem(res, refused);
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

export interface HttpAppOptions {
  logger: Logger;
  health: HealthRegistry;
  metrics: Metrics;
  maxConcurrentRequests: number;
  metricsAccess?: MetricsAccess;
  /** Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES); none when absent. */
  trustedProxies?: readonly string[];
  /** The service's own routes, docs included. */
  routes: Router[];
  bodyLimit?: string;
  /** Parse JSON bodies (the gateway streams them instead). */
  parseJson?: boolean;
  /** Middleware that must run before the service's routes (e.g. the gateway's security headers). */
  before?: RequestHandler[];
  /** Continue the trace a caller names in `traceparent` (default); the public edge starts its own. */
  continueCallerTraces?: boolean;
}

/**
 * What every HTTP process installs first, Express and NestJS services alike: the request's span
 * (when tracing is on), request id, access log, metrics, and the health and metrics endpoints.
 */
export function installCommonMiddleware(
  app: Express,
  options: Omit<HttpAppOptions, 'routes' | 'bodyLimit' | 'parseJson' | 'before'>,
): void {
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(options.trustedProxies ?? []));
  if (tracingConfigured()) app.use(requestSpans({ continueCallerTraces: options.continueCallerTraces ?? true }));
  app.use(requestId);
  app.use(accessLog(options.logger, options.metrics));
  app.use(admissionControl(options.maxConcurrentRequests, options.metrics));
  app.use(operationalRoutes(options.health, options.metrics, options.metricsAccess));
}

/**
 * The one Express shell every Express service uses: the common middleware, a JSON body limit,
 * then the service's routes, then 404 and error problems.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  installCommonMiddleware(app, options);
  for (const middleware of options.before ?? []) app.use(middleware);
  if (options.parseJson !== false) app.use(jsonBody(options.bodyLimit));
  for (const router of options.routes) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
