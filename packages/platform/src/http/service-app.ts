import type { Express } from 'express';
import { authenticator } from '../auth/express-auth';
import type { ServiceKit } from '../express-service';
import type { ApiRouter } from './api-router';
import { createHttpApp } from './express-app';
import { buildOpenApiDocument, openApiRoutes, type OpenApiInfo } from './openapi';

/** An Express service's app: its documented routers behind the platform shell, with /openapi.json and /docs. */
export function serviceApp(kit: ServiceKit, info: OpenApiInfo, routers: ApiRouter[]): Express {
  const document = buildOpenApiDocument(info, routers);
  const authenticate = authenticator(kit.verifyToken);
  return createHttpApp({ ...kit, routes: [openApiRoutes(document), ...routers.map((router) => router.build(authenticate))] });
}
