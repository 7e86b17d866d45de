import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { authErrors, authenticator, bearerToken, createHttpApp, ErrorCode, fetchService, labelRoute, problem, sendProblem, type ServiceKit } from '@oip/platform';
import { deadLettersRouter } from './admin/dead-letters.router';
import type { Config } from './config';
import { docsRouter } from './docs/docs.router';
import { clientKeys } from './rate-limit/client-key';
import { streamProxy } from './proxy/stream-proxy';
import { registryRouter } from './registry/registry.router';
import { isPublic, upstreams } from './routes';
import { consoleLinksRouter, webAppRouter } from './web/web-app.router';

/** Refuses protected `/api` requests without a valid token before they reach any service. */
function verifyTokens(kit: ServiceKit): RequestHandler {
  return async (req, _res, next) => {
    if (isPublic(req.method, req.path)) {
      next();
      return;
    }
    const token = bearerToken(req.header('authorization'));
    if (!token) throw authErrors.tokenMissing();
    await kit.verifyToken(token);
    next();
  };
}

export function buildApp(kit: ServiceKit, config: Config): Express {
  const { picker } = kit.discovery;
  for (const service of upstreams) {
    // Ready when every service has an instance that answers; which one is the resolver's turn.
    kit.health.register(service.name, async () => {
      const answer = await fetchService(picker, service.name, '/health/live', { signal: AbortSignal.timeout(1500) });
      if (!answer.ok) throw new Error(`answered ${answer.status}`);
    });
  }
  const api = express.Router();
  api.use(verifyTokens(kit));
  const deadLetters = deadLettersRouter(upstreams, picker, config.UPSTREAM_TIMEOUT_MS);
  api.use(deadLetters.build(authenticator(kit.verifyToken)));
  const consoleLinks = consoleLinksRouter(config.CONSOLE_LINKS);
  api.use(consoleLinks.build(authenticator(kit.verifyToken)));
  for (const service of upstreams) {
    const proxy = streamProxy({ name: service.name, picker, timeoutMs: config.UPSTREAM_TIMEOUT_MS, bodyLimitBytes: config.BODY_LIMIT_BYTES, logger: kit.logger });
    for (const prefix of service.prefixes) api.use(prefix, (req, res, next) => {
      labelRoute(res, `${req.baseUrl}/*`);
      // Express strips the prefix from req.url; the service expects it.
      req.url = `${prefix}${req.url === '/' ? '' : req.url}`;
      proxy(req, res, next);
    });
  }
  // The gateway's port is public: metrics and scrape targets only with METRICS_TOKEN.
  const metricsAccess = { ...kit.metricsAccess, publicPort: true };
  return createHttpApp({
    ...kit,
    metricsAccess,
    parseJson: false,
    // The edge decides which requests are sampled, not a client's traceparent.
    continueCallerTraces: false,
    before: [
      helmet({ contentSecurityPolicy: false }),
      cors({ origin: config.CORS_ORIGINS, exposedHeaders: ['x-request-id', 'x-trace-id'] }),
      rateLimit({
        windowMs: 60_000,
        limit: config.RATE_LIMIT_PER_MINUTE,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: clientKeys(),
        // Keyed on req.ip, the client address TRUSTED_PROXIES lets Express determine. A forwarded
        // header from an untrusted client is ignored on purpose, not a misconfiguration to warn of.
        validate: { xForwardedForHeader: false, forwardedHeader: false },
        handler: (_req, res) => sendProblem(res, problem(429, ErrorCode.REQUEST_RATE_LIMITED, 'Too many requests, slow down')),
      }),
    ],
    routes: [docsRouter(upstreams, picker, config.UPSTREAM_TIMEOUT_MS, [deadLetters, consoleLinks]), registryRouter(kit, metricsAccess), express.Router().use('/api', api), webAppRouter(kit.logger)],
  });
}
