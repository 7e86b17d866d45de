import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { problem, sendProblem, type Logger } from '@oip/platform';

/**
 * Streams a request to an upstream and its answer back, without buffering either body: bodies
 * and Content-Length pass through untouched, hop-by-hop headers do not. Upstream errors pass
 * through as they are; an unreachable upstream is 503 and a slow one 504, both problem+json.
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** End-to-end headers only: the fixed hop-by-hop set and whatever the Connection header names (RFC 9110 7.6.1). */
function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !named.has(name)) result[name] = value;
  }
  return result;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface ProxyOptions {
  name: string;
  target: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  logger: Logger;
}

export function streamProxy(options: ProxyOptions): RequestHandler {
  const target = new URL(options.target);
  return (req, res) => {
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > options.bodyLimitBytes) {
      sendProblem(res, problem(413, 'REQUEST.TOO_LARGE', 'The request body is too large'));
      return;
    }
    const headers = forwardable(req.headers);
    // Transfer-Encoding is hop-by-hop, but dropping it makes Node write a GET's chunked body raw
    // onto the upstream connection, where it would parse as a second, unchecked request.
    if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
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
    req.pipe(upstream);

    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
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
