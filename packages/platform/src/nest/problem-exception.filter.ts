import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode, problem, toProblem, type Problem } from '../errors';
import { REQUEST_ID_HEADER } from '../http/express-app';
import { sendProblem } from '../http/problem-response';

/**
 * The one place a NestJS service turns an error into an answer, so Nest services speak the same
 * problem+json as the Express ones: domain `AppError`s by their kind and code, Nest's own
 * `HttpException`s (unknown route, malformed JSON, a guard's 401) by their status, body-parser
 * errors by theirs, and anything else as a bare 500 whose details only reach the log.
 */
const codeOfStatus: Record<number, string> = {
  400: ErrorCode.REQUEST_MALFORMED,
  401: ErrorCode.AUTH_UNAUTHORIZED,
  403: ErrorCode.AUTH_FORBIDDEN,
  404: ErrorCode.ROUTE_NOT_FOUND,
  405: ErrorCode.ROUTE_METHOD_NOT_ALLOWED,
  409: ErrorCode.REQUEST_CONFLICT,
  413: ErrorCode.REQUEST_TOO_LARGE,
  415: ErrorCode.REQUEST_UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.REQUEST_RATE_LIMITED,
};

@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { body, retryAfterSeconds } = this.problemOf(exception, req);
    if (res.headersSent) {
      // Too late for a problem body; ending the socket is all that is left.
      this.logger.error({ err: exception, requestId: req.headers[REQUEST_ID_HEADER] }, 'error after the response started');
      res.end();
      return;
    }
    if (retryAfterSeconds) res.setHeader('retry-after', String(retryAfterSeconds));
    sendProblem(res, { ...body, instance: req.originalUrl });
  }

  private problemOf(exception: unknown, req: Request): { body: Problem; retryAfterSeconds?: number } {
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      // Services never throw HTTP exceptions, so a 404 here is Nest finding no route.
      const detail = status === 404 ? `No route for ${req.method} ${req.path}` : messageOf(exception);
      return { body: problem(status, codeOfStatus[status] ?? `HTTP.${status}`, detail) };
    }
    const { problem: body, expected, retryAfterSeconds } = toProblem(exception);
    if (!expected) {
      this.logger.error(
        { err: exception, requestId: req.headers[REQUEST_ID_HEADER], method: req.method, url: req.originalUrl },
        'unhandled error',
      );
    }
    return { body, retryAfterSeconds };
  }
}

/** Nest's built-in exceptions carry messages written for the client (e.g. "Unexpected token } in JSON"). */
function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.filter((item): item is string => typeof item === 'string').join('; ');
  return exception.message;
}
