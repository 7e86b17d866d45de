import pino, { type Logger } from 'pino';
import { currentContext } from './request-context';
import { currentTraceIds } from './telemetry/trace-context';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout, one line per event, each with the service name, the request id of the
 * work in progress and its `trace_id` / `span_id`. Secrets are redacted by path so that a careless `log.info({ body })` cannot leak.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The trace ids (when tracing is on) lead from a log line to its trace in Jaeger, and back.
    mixin() {
      const context = currentContext();
      return { ...(context ? { requestId: context.requestId } : {}), ...currentTraceIds() };
    },
    redact: {
      paths: [
        'password',
        '*.password',
        'passwordHash',
        '*.passwordHash',
        'refreshToken',
        '*.refreshToken',
        'accessToken',
        '*.accessToken',
        // A failed SQL statement (TypeORM's QueryFailedError) carries its bound values, e.g. a password hash.
        'err.parameters',
        'err.driverError.parameters',
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  });
}
