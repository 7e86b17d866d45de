import http from 'node:http';
import type { RequestHandler } from 'express';
import { problem, sendProblem, type Logger } from '@oip/platform';
import { endToEndHeaders, framingHeaders, refusal, requestFraming, responseHeaders } from './framing';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface ProxyOptions {
  name: string;
  target: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  logger: Logger;
}

/**
 * Streams a request to an upstream and its answer back, without buffering either body. The
 * gateway frames each upstream request itself (see framing.ts); headers pass end to end, hop-by-hop
 * ones do not. Upstream errors pass through as they are; an unreachable upstream is 503 and a slow
 * one 504, both problem+json.
 */
export function streamProxy(options: ProxyOptions): RequestHandler {
  const target = new URL(options.target);
  return (req, res) => {
    const refused = refusal(req.method, req.headers);
    if (refused) {
      // The client's connection is not reused either: whatever it meant by its framing, it ends here.
      res.setHeader('connection', 'close');
      sendProblem(res, problem(400, 'REQUEST.MALFORMED', refused));
      return;
    }
    const framing = requestFraming(req.headers);
    if (framing.body === 'length' && Number(framing.length) > options.bodyLimitBytes) {
      sendProblem(res, problem(413, 'REQUEST.TOO_LARGE', 'The request body is too large'));
      return;
    }
    const headers = { ...endToEndHeaders(req.headers), ...framingHeaders(framing) };
    // Only the client address the gateway determined (its own trusted proxies already vouched for
    // the chain), so a service that trusts the gateway sees that address and nothing a client wrote.
    headers['x-forwarded-for'] = req.ip ?? req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = req.protocol;
    headers['x-forwarded-host'] = req.headers.host ?? '';

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
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.bodyLimitBytes) {
        upstream.destroy(new Error('body limit exceeded'));
        if (!res.headersSent) sendProblem(res, problem(413, 'REQUEST.TOO_LARGE', 'The request body is too large'));
        req.unpipe(upstream);
      }
    });
    // The body is exactly what Node's parser framed on the way in, so it matches the framing sent.
    if (framing.body === 'none') upstream.end();
    else req.pipe(upstream);

    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, responseHeaders(answer.headers));
      answer.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'UPSTREAM_TIMEOUT' })));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        // A broken upstream mid-answer: cut the client off so it cannot take a partial body for a
        // whole one. An answer already complete (the 413 above) is left to flush.
        if (!res.writableEnded) res.destroy();
        return;
      }
      const timedOut = error.code === 'UPSTREAM_TIMEOUT';
      options.logger.warn({ upstream: options.name, code: error.code }, 'upstream request failed');
      sendProblem(
        res,
        timedOut
          ? problem(504, 'UPSTREAM.TIMEOUT', `${options.name} did not answer in time`)
          : problem(503, 'UPSTREAM.UNAVAILABLE', `${options.name} is unavailable`),
      );
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  };
}
