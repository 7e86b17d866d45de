import http from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, ErrorCode, isConnectionFailure, isRetryableMethod, outgoingCall, problem, sendProblem, type InstancePicker, type Logger, type ServiceInstance } from '@oip/platform';
import { endToEndHeaders, framingHeaders, refusal, requestFraming, responseHeaders, type Framing } from './framing';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A client's W3C trace context and baggage: the gateway starts every trace itself (see app.ts). */
const CLIENT_TRACE_CONTEXT = ['traceparent', 'tracestate', 'baggage'];

export interface ProxyOptions {
  /** The service name, resolved to one of its instances for every request. */
  name: string;
  picker: InstancePicker;
  timeoutMs: number;
  bodyLimitBytes: number;
  logger: Logger;
}

/**
 * Streams a request to an upstream and its answer back, without buffering either body. The
 * gateway frames each upstream request itself (see framing.ts); headers pass end to end, hop-by-hop
 * ones do not. Each request goes to the next instance of the service (round-robin); a GET or HEAD
 * whose connection is refused or reset before any answer goes once more to another instance, if
 * there is one. Upstream errors pass through as they are; an unreachable upstream is 503 and a
 * slow one 504, both problem+json; a service with no instance is 503 `SERVICE.UNAVAILABLE`.
 */
export function streamProxy(options: ProxyOptions): RequestHandler {
  return (req, res) => {
    const refused = refusal(req.method, req.headers);
    if (refused) {
      // The client's connection is not reused either: whatever it meant by its framing, it ends here.
      res.setHeader('connection', 'close');
      sendProblem(res, problem(400, ErrorCode.REQUEST_MALFORMED, refused));
      return;
    }
    const framing = requestFraming(req.headers);
    if (framing.body === 'length' && Number(framing.length) > options.bodyLimitBytes) {
      sendProblem(res, problem(413, ErrorCode.REQUEST_TOO_LARGE, 'The request body is too large'));
      return;
    }
    let instance: ServiceInstance;
    try {
      instance = options.picker.pick(options.name);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      sendProblem(res, problem(503, error.code, error.message));
      return;
    }
    forward(req, res, framing, instance, options);
  };
}

function forward(req: Request, res: Response, framing: Framing, instance: ServiceInstance, options: ProxyOptions, retry = true): void {
  const target = new URL(instance.url);
  const headers = { ...endToEndHeaders(req.headers), ...framingHeaders(framing) };
  // Only the client address the gateway determined (its own trusted proxies already vouched for
  // the chain), so a service that trusts the gateway sees that address and nothing a client wrote.
  headers['x-forwarded-for'] = req.ip ?? req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = req.protocol;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  for (const name of CLIENT_TRACE_CONTEXT) delete headers[name];
  // The request's trace goes on upstream (a client span of its own when the request is recorded).
  const traced = outgoingCall(req.method, new URL(req.url, target), headers);

  const upstream = http.request({
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    // Express strips the mount path (/api) from req.url.
    path: req.url,
    headers,
    agent,
    timeout: options.timeoutMs,
  });

  let received = 0;
  const countBody = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > options.bodyLimitBytes) {
      upstream.destroy(new Error('body limit exceeded'));
      if (!res.headersSent) sendProblem(res, problem(413, ErrorCode.REQUEST_TOO_LARGE, 'The request body is too large'));
      req.unpipe(upstream);
    }
  };
  // The body is exactly what Node's parser framed on the way in, so it matches the framing sent.
  if (framing.body === 'none') upstream.end();
  else {
    req.on('data', countBody);
    req.pipe(upstream);
  }

  const abandon = (): void => {
    if (!res.writableFinished) upstream.destroy();
  };
  res.on('close', abandon);
  upstream.on('response', (answer) => {
    // 'close' also comes when the answer is cut off, which 'end' does not.
    if (traced) answer.once('close', () => traced(answer.statusCode ?? 0));
    const eventStream = answer.headers['content-type']?.startsWith('text/event-stream') === true;
    // A server-sent event stream is quiet for as long as nothing happens: the idle timeout would
    // cut it. Its end is the client's to choose (or the service's).
    if (eventStream) upstream.setTimeout(0);
    res.writeHead(answer.statusCode ?? 502, responseHeaders(answer.headers));
    // An event stream's headers at once, so the client's EventSource / fetch sees it open before any
    // event. Any other answer's headers leave with its first body chunk: one write, not two.
    if (eventStream) res.flushHeaders();
    answer.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'UPSTREAM_TIMEOUT' })));
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    traced?.(error);
    if (res.headersSent) {
      // A broken upstream mid-answer: cut the client off so it cannot take a partial body for a
      // whole one. An answer already complete (the 413 above) is left to flush.
      if (!res.writableEnded) res.destroy();
      return;
    }
    // Without a body (framing.ts refuses one on GET and HEAD) the request can be sent again as it
    // is: the instance that refused it never saw it.
    const other = retry && isRetryableMethod(req.method) && isConnectionFailure(error) ? anotherInstance(options, instance) : undefined;
    if (other) {
      res.off('close', abandon);
      options.logger.info({ upstream: options.name, instance: instance.id, code: error.code }, 'upstream instance unreachable; trying another');
      forward(req, res, framing, other, options, false);
      return;
    }
    const timedOut = error.code === 'UPSTREAM_TIMEOUT';
    options.logger.warn({ upstream: options.name, instance: instance.id, code: error.code }, 'upstream request failed');
    sendProblem(
      res,
      timedOut
        ? problem(504, ErrorCode.UPSTREAM_TIMEOUT, `${options.name} did not answer in time`)
        : problem(503, ErrorCode.UPSTREAM_UNAVAILABLE, `${options.name} is unavailable`),
    );
  });
}

function anotherInstance(options: ProxyOptions, failed: ServiceInstance): ServiceInstance | undefined {
  try {
    return options.picker.pick(options.name, [failed.id]);
  } catch {
    return undefined;
  }
}
