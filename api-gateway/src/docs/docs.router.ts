import { Router } from 'express';
import { buildOpenApiDocument, ErrorCode, fetchService, openApiRoutes, problem, sendProblem, type ApiRouter, type InstancePicker } from '@oip/platform';
import type { Upstream } from '../routes';

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { type: 'object', required: ['code', 'status', 'detail'] } } } });

const nullableString = { type: ['string', 'null'] };
const registrySchema = {
  type: 'object',
  required: ['discovery', 'services'],
  properties: {
    discovery: { type: 'string', enum: ['etcd', 'static'] },
    services: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'instances'],
        properties: {
          name: { type: 'string' },
          instances: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'url', 'version', 'startedAt', 'lastSeen', 'status'],
              properties: {
                id: { type: 'string' },
                url: { type: 'string', format: 'uri' },
                version: nullableString,
                startedAt: { ...nullableString, format: 'date-time' },
                lastSeen: { ...nullableString, format: 'date-time' },
                status: { type: 'string', enum: ['up', 'unknown', 'static'] },
              },
            },
          },
        },
      },
    },
  },
};

/**
 * One Swagger UI for the whole platform: each service's document is fetched from the service and
 * re-based on `/api`, so "Try it out" goes through the gateway.
 */
export function docsRouter(services: readonly Upstream[], picker: InstancePicker, timeoutMs: number, ownRoutes: ApiRouter[] = []): Router {
  const router = Router();
  router.get('/openapi/:service.json', async (req, res) => {
    const service = services.find((candidate) => candidate.name === req.params['service']);
    if (!service) {
      sendProblem(res, problem(404, 'DOCS.UNKNOWN_SERVICE', `No service named ${req.params['service']}`));
      return;
    }
    try {
      const answer = await fetchService(picker, service.name, '/openapi.json', { signal: AbortSignal.timeout(timeoutMs) });
      const document = (await answer.json()) as Record<string, unknown>;
      res.json({ ...document, servers: [{ url: '/api' }] });
    } catch {
      sendProblem(res, problem(503, ErrorCode.UPSTREAM_UNAVAILABLE, `${service.name} is unavailable`));
    }
  });
  // The gateway's own /api routes (not proxied), documented from their route declarations.
  const own = buildOpenApiDocument({ title: 'api-gateway', version: '1.0.0' }, ownRoutes) as { paths: Record<string, unknown>; components: Record<string, unknown> };
  const gatewayDocument = {
    openapi: '3.1.0',
    info: { title: 'api-gateway', version: '1.0.0', description: 'Routes /api/... to the services; see each service document in /docs' },
    components: own.components,
    paths: {
      ...Object.fromEntries(Object.entries(own.paths).map(([path, operations]) => [`/api${path}`, operations])),
      '/health/live': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
      '/health/ready': { get: { summary: 'Readiness of the gateway and each upstream', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'An upstream is down' } } } },
      '/registry': {
        get: {
          summary: 'Every registered service instance, from the gateway\'s live cache of the registry (admin); text/html gives a plain page',
          security: [{ bearerAuth: [] }],
          responses: {
            '200': { description: 'The registry', content: { 'application/json': { schema: registrySchema }, 'text/html': { schema: { type: 'string' } } } },
            '401': problemResponse('No valid token'),
            '403': problemResponse('Not an admin'),
          },
        },
      },
      '/registry/targets': {
        get: {
          summary: 'The instances as Prometheus HTTP service discovery target groups (needs METRICS_TOKEN; 404 when none is configured)',
          security: [{ bearerAuth: [] }],
          responses: {
            '200': {
              description: 'One target group per service',
              content: { 'application/json': { schema: { type: 'array', items: { type: 'object', required: ['targets', 'labels'], properties: { targets: { type: 'array', items: { type: 'string' } }, labels: { type: 'object', additionalProperties: { type: 'string' } } } } } } },
            },
            '401': problemResponse('Not the metrics token'),
            '404': problemResponse('No METRICS_TOKEN configured'),
          },
        },
      },
    },
  };
  router.use(openApiRoutes(gatewayDocument, [{ url: '/openapi.json', name: 'api-gateway' }, ...services.map((service) => ({ url: `/openapi/${service.name}.json`, name: service.name }))]));
  return router;
}
