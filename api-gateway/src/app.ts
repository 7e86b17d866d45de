import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { authErrors, bearerToken, ErrorCode, createHttpApp, problem, sendProblem, type ServiceKit } from '@oip/platform';
import type { Config } from './config';
import { docsRouter } from './docs/docs.router';
import { streamProxy } from './proxy/stream-proxy';
import { isPublic, upstreams } from './routes';

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
  const services = upstreams(config);
  for (const service of services) {
    kit.health.register(service.name, async () => {
      const answer = await fetch(`${service.url}/health/live`, { signal: AbortSignal.timeout(1500) });
      if (!answer.ok) throw new Error(`answered ${answer.status}`);
    });
  }
  const api = express.Router();
  api.use(verifyTokens(kit));
  for (const service of services) {
    const proxy = streamProxy({ name: service.name, target: service.url, timeoutMs: config.UPSTREAM_TIMEOUT_MS, bodyLimitBytes: config.BODY_LIMIT_BYTES, logger: kit.logger });
    for (const prefix of service.prefixes) api.use(prefix, (req, res, next) => {
      // Express strips the prefix from req.url; the service expects it.
      req.url = `${prefix}${req.url === '/' ? '' : req.url}`;
      proxy(req, res, next);
    });
  }
  return createHttpApp({
    ...kit,
    metricsAccess: { ...kit.metricsAccess, publicPort: true },
    parseJson: false,
    before: [
      helmet({ contentSecurityPolicy: false }),
      cors({ origin: config.CORS_ORIGINS, exposedHeaders: ['x-request-id'] }),
      rateLimit({
        windowMs: 60_000,
        limit: config.RATE_LIMIT_PER_MINUTE,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // Keyed on req.ip, the client address TRUSTED_PROXIES lets Express determine. A forwarded
        // header from an untrusted client is ignored on purpose, not a misconfiguration to warn of.
        validate: { xForwardedForHeader: false, forwardedHeader: false },
        handler: (_req, res) => sendProblem(res, problem(429, ErrorCode.REQUEST_RATE_LIMITED, 'Too many requests, slow down')),
      }),
    ],
    routes: [docsRouter(services, config.UPSTREAM_TIMEOUT_MS), express.Router().use('/api', api)],
  });
}
