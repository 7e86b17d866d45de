import { Router } from 'express';
import { ErrorCode, openApiRoutes, problem, sendProblem } from '@oip/platform';
import type { Upstream } from '../routes';

/**
 * One Swagger UI for the whole platform: each service's document is fetched from the service and
 * re-based on `/api`, so "Try it out" goes through the gateway.
 */
export function docsRouter(services: Upstream[], timeoutMs: number): Router {
  const router = Router();
  router.get('/openapi/:service.json', async (req, res) => {
    const service = services.find((candidate) => candidate.name === req.params['service']);
    if (!service) {
      sendProblem(res, problem(404, 'DOCS.UNKNOWN_SERVICE', `No service named ${req.params['service']}`));
      return;
    }
    try {
      const answer = await fetch(`${service.url}/openapi.json`, { signal: AbortSignal.timeout(timeoutMs) });
      const document = (await answer.json()) as Record<string, unknown>;
      res.json({ ...document, servers: [{ url: '/api' }] });
    } catch {
      sendProblem(res, problem(503, ErrorCode.UPSTREAM_UNAVAILABLE, `${service.name} is unavailable`));
    }
  });
  const gatewayDocument = {
    openapi: '3.1.0',
    info: { title: 'api-gateway', version: '1.0.0', description: 'Routes /api/... to the services; see each service document in /docs' },
    paths: {
      '/health/live': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
      '/health/ready': { get: { summary: 'Readiness of the gateway and each upstream', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'An upstream is down' } } } },
    },
  };
  router.use(openApiRoutes(gatewayDocument, [{ url: '/openapi.json', name: 'api-gateway' }, ...services.map((service) => ({ url: `/openapi/${service.name}.json`, name: service.name }))]));
  return router;
}
