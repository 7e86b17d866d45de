import express, { type RequestHandler } from 'express';
import { ErrorCode, problem, toProblem } from '../errors';
import { exceedsDepth, MAX_JSON_DEPTH } from '../validation/input-rules';
import { sendProblem } from './problem-response';

/**
 * The JSON body parser of every service, Express and NestJS alike (Nest's own is switched off), so
 * both refuse the same bodies the same way: malformed, too large or nested deeper than
 * MAX_JSON_DEPTH is a problem+json answered here, before any route or DTO walks the body.
 */
export function jsonBody(limit = '100kb', maxDepth = MAX_JSON_DEPTH): RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error !== undefined && error !== null) {
        sendProblem(res, { ...toProblem(error).problem, instance: req.originalUrl });
        return;
      }
      if (exceedsDepth(req.body, maxDepth)) {
        sendProblem(res, { ...problem(400, ErrorCode.REQUEST_TOO_DEEP, `The request body nests deeper than ${maxDepth} levels`), instance: req.originalUrl });
        return;
      }
      next();
    });
  };
}
