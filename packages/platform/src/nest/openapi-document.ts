import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * The service's OpenAPI document, generated from its controllers and DTO decorators so it cannot
 * drift from the code. @nestjs/swagger stamps the version it is told and otherwise emits 3.0-style
 * schemas; the one 3.0 keyword that 3.1 dropped, `nullable`, is rewritten into a `null` type.
 */
export interface NestOpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export function buildNestOpenApiDocument(app: INestApplication, info: NestOpenApiInfo): Record<string, unknown> {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(info.title)
    .setVersion(info.version)
    .addServer('/')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearerAuth')
    // Every route needs a token unless it is @Public(), which documents itself with `security: []`.
    .addSecurityRequirements('bearerAuth');
  if (info.description) builder.setDescription(info.description);
  const document = SwaggerModule.createDocument(app, builder.build());
  return withoutNullable(document) as Record<string, unknown>;
}

/** `{ type: 'string', nullable: true }` (3.0) → `{ type: ['string', 'null'] }` (3.1), recursively. */
export function withoutNullable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullable);
  if (typeof value !== 'object' || value === null) return value;
  const { nullable, ...rest } = value as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, child]) => [key, withoutNullable(child)]));
  if (nullable !== true) return converted;
  const type = converted['type'];
  if (typeof type === 'string') return { ...converted, type: [type, 'null'] };
  // A nullable $ref or composition has no `type` to widen: offer null as an alternative instead.
  return { anyOf: [converted, { type: 'null' }] };
}
