import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import type { ApiRouter } from './api-router';

/** OpenAPI 3.1 built from the same zod schemas that validate requests. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** The body of every error answer (errors.ts `Problem`), in both frameworks' documents. */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or invalid token',
  403: 'Not allowed for this role or owner',
  404: 'Not found',
  409: 'Conflict with the current state',
  429: 'Too many requests',
  503: 'A dependency is unavailable',
  504: 'A dependency did not answer in time',
};

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

export function buildOpenApiDocument(info: OpenApiInfo, routers: ApiRouter[], serverUrl = '/'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const router of routers) {
    for (const { spec } of router.routes) {
      const path = spec.path.replace(/:(\w+)/g, '{$1}');
      const status = String(spec.status ?? 200);
      const responses: Record<string, unknown> = {
        [status]: spec.response
          ? { description: 'Success', content: { 'application/json': { schema: schemaOf(spec.response, 'output') } } }
          : { description: 'Success' },
      };
      const errors = new Set([...(spec.errors ?? []), ...(spec.body || spec.params || spec.query ? [400] : []), ...(spec.access === 'public' ? [] : [401]), ...(spec.access === 'admin' ? [403] : [])]);
      for (const code of [...errors].sort()) {
        responses[String(code)] = {
          description: errorDescriptions[code] ?? 'Error',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
      (paths[path] ??= {})[spec.method] = {
        tags: [router.tag],
        summary: spec.summary,
        ...(spec.access === 'public' ? { security: [] } : {}),
        parameters: [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query')],
        ...(spec.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body, 'input') } } } }
          : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
    },
  };
}

/** `/openapi.json` and a Swagger UI at `/docs` for a given document (or several, by URL). */
export function openApiRoutes(document: Record<string, unknown> | (() => Record<string, unknown>), uiUrls?: Array<{ url: string; name: string }>): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(typeof document === 'function' ? document() : document);
  });
  const uiOptions = uiUrls ? { swaggerOptions: { urls: uiUrls } } : { swaggerOptions: { url: '/openapi.json' } };
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(undefined, uiOptions));
  return router;
}
