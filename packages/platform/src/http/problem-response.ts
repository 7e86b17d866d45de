import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode, problem, toProblem, type Problem } from '../errors';

export function sendProblem(res: Response, body: Problem): void {
  res.status(body.status).type('application/problem+json').json(body);
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, problem(404, ErrorCode.ROUTE_NOT_FOUND, `No route for ${req.method} ${req.path}`));
};

/** The last middleware: known errors become their problem, anything else a bare 500 that is logged. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { problem: body, expected, retryAfterSeconds } = toProblem(error);
    if (!expected) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'unhandled error');
    if (retryAfterSeconds) res.setHeader('retry-after', String(retryAfterSeconds));
    sendProblem(res, { ...body, instance: req.originalUrl });
  };
}
