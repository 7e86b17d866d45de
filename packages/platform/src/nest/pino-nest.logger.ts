import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Nest's own log lines (bootstrap, TypeORM retries, its exception handler) go through the service's
 * pino logger, so every line on stdout is JSON with the service name and request id.
 */

// Nest narrates every module and route it wires at start-up; useful when debugging, noise otherwise.
const chattyContexts = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = contextOf(optionalParams);
    this.write(context !== undefined && chattyContexts.has(context) ? 'debug' : 'info', message, context);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    // Nest calls error(message, stack?, context?); the stack goes to the log, never to a client.
    const context = contextOf(optionalParams);
    const stack = optionalParams.length > 1 ? optionalParams[0] : undefined;
    this.write('error', message, context, typeof stack === 'string' ? { stack } : {});
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, contextOf(optionalParams));
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, contextOf(optionalParams));
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, contextOf(optionalParams));
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, contextOf(optionalParams));
  }

  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, context: string | undefined, extra: Record<string, unknown> = {}): void {
    const fields = { ...(context !== undefined ? { context } : {}), ...extra };
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}

/** Nest passes the context (the class that logs) as the last argument. */
function contextOf(optionalParams: unknown[]): string | undefined {
  const last = optionalParams.at(-1);
  return typeof last === 'string' ? last : undefined;
}
