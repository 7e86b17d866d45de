import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { problemSchema } from '../http/openapi';

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
  return asStrictAsValidation(withoutNullable(document) as OpenApiDocument) as unknown as Record<string, unknown>;
}

interface OpenApiOperation {
  parameters?: Array<{ in?: string; name?: string }>;
  requestBody?: unknown;
  responses?: Record<string, { description?: string; content?: unknown }>;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Record<string, unknown>> };
}

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/**
 * What @nestjs/swagger leaves looser than the validation pipe: request bodies refuse unknown fields
 * (`forbidNonWhitelisted`), so their schemas — and the schemas they nest — get
 * `additionalProperties: false`; a controller that reads the `authorization` header for
 * forwarding does not make it a required parameter of its own — the bearer scheme documents it;
 * an operation with input can answer 400; and every error answer is a Problem (the exception
 * filter sees to it), as in the Express services' documents.
 */
export function asStrictAsValidation(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas ?? {};
  const strict = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      const schema = schemas[name];
      if (schema && !strict.has(name)) {
        strict.add(name);
        if (schema['type'] === 'object') schema['additionalProperties'] = false;
        visit(schema);
      }
      return;
    }
    Object.values(value).forEach(visit);
  };
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      visit(operation.requestBody);
      if (operation.parameters) operation.parameters = operation.parameters.filter((parameter) => !(parameter.in === 'header' && parameter.name?.toLowerCase() === 'authorization'));
      const responses = (operation.responses ??= {});
      if ((operation.parameters?.length || operation.requestBody) && !responses['400']) responses['400'] = { description: 'Invalid input' };
      for (const [status, response] of Object.entries(responses)) if (Number(status) >= 400 && !response.content) response.content = problemContent;
    }
  }
  (document.components ??= {}).schemas = { ...schemas, Problem: problemSchema };
  return document;
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
