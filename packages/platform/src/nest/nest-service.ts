import type { Server } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Express } from 'express';
import type { RevocationSource } from '../auth/revocation-feed';
import type { CommonConfig, ServiceKit } from '../express-service';
import { runMain, tokenVerification } from '../express-service';
import { HealthRegistry } from '../health';
import { installCommonMiddleware } from '../http/express-app';
import { answerClientErrorsAsProblems } from '../http/client-error';
import { jsonBody } from '../http/json-body';
import { openApiRoutes } from '../http/openapi';
import type { Service } from '../lifecycle';
import { createLogger } from '../logger';
import { createMetrics } from '../metrics';
import { BrokerConnection } from '../messaging/broker-connection';
import { EventPublisher } from '../messaging/publisher';
import { Discovery } from '../registry/discovery';
import { PinoNestLogger } from './pino-nest.logger';
import { buildNestOpenApiDocument, type NestOpenApiInfo } from './openapi-document';
import { ProblemExceptionFilter } from './problem-exception.filter';
import { createValidationPipe } from './validation.pipe';
import { DomainEventsTransport } from './domain-events.transport';
import type { EventType } from '@oip/contracts';
import type { Idempotency } from '../messaging/consumer';

/**
 * The skeleton both NestJS services share, the counterpart of `expressService`: the same logger,
 * metrics, health registry and self-healing broker connection, the same operational endpoints and
 * problem+json errors, with Nest's modules in the middle. A service's main.ts only names its port,
 * its config and its root module.
 */
export interface NestServiceKit extends ServiceKit {
  broker: BrokerConnection;
  publisher: EventPublisher;
}

export interface NestServiceDefinition {
  name: string;
  port: number;
  config: CommonConfig & { RABBITMQ_URL: string; RABBITMQ_PREFETCH: number; RABBITMQ_MAX_RETRIES: number; RABBITMQ_RETRY_BASE_MS: number };
  openApi: NestOpenApiInfo;
  /** The root module, given the kit so it can hand it to Nest's container (see PlatformModule). */
  module(kit: NestServiceKit): DynamicModule;
  /**
   * Domain events this service consumes with `@EventPattern(type)` handlers: its queue, and how a
   * redelivery is recognised (built from the app, e.g. from its DataSource).
   */
  events?: { queue: string; types: readonly EventType[]; idempotency(app: INestApplication): Idempotency };
  /** Where the recent token revocations come from; default: user-service's list beside the JWKS. user-service reads its own database. */
  revocationSource?(app: INestApplication): RevocationSource;
}

export interface NestService extends Service {
  kit: NestServiceKit;
  shutdownTimeoutMs: number;
}

export function nestService(definition: NestServiceDefinition): NestService {
  const { config } = definition;
  const logger = createLogger(definition.name, config.LOG_LEVEL);
  const metrics = createMetrics(definition.name);
  const broker = new BrokerConnection(config.RABBITMQ_URL, logger, { name: definition.name });
  // The source is known only once the app exists (user-service reads its DataSource): resolved late.
  let source: RevocationSource | undefined;
  const kit: NestServiceKit = {
    logger,
    metrics,
    health: new HealthRegistry(),
    ...tokenVerification(config, broker, logger, definition.revocationSource ? () => (source ? source() : Promise.reject(new Error('not started'))) : undefined),
    maxConcurrentRequests: config.MAX_CONCURRENT_REQUESTS,
    metricsAccess: { token: config.METRICS_TOKEN },
    trustedProxies: config.TRUSTED_PROXIES,
    broker,
    discovery: new Discovery(config, definition.name, logger),
    publisher: new EventPublisher(broker, logger, metrics),
    requireBroker: () => broker,
  };
  kit.health.register('rabbitmq', () => broker.assertConnected());
  kit.health.register('token-revocations', () => kit.revocationFeed.assertSynced());
  kit.discovery.registerHealthCheck(kit.health);
  let app: INestApplication | undefined;

  return {
    kit,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    async start() {
      // The publisher's hook declares the exchange and every consumer queue on each (re)connection;
      // registering it before connecting means even the first connection declares them. The broker
      // connects in the background: an absent broker makes the service not ready, not dead.
      await kit.publisher.start();
      broker.start();
      await kit.discovery.start();
      app = await createNestApp(definition, kit);
      if (definition.revocationSource) source = definition.revocationSource(app);
      // Before listening, so the first request already meets a loaded list (or a 503 if it cannot be had).
      await kit.revocationFeed.start();
      answerClientErrorsAsProblems(app.getHttpServer() as Server);
      await app.listen(definition.port);
      const address = (app.getHttpServer() as Server).address();
      const port = typeof address === 'object' && address ? address.port : definition.port;
      logger.info({ port }, `${definition.name} listening`);
      kit.discovery.registerWhenReady(port, kit.health);
    },
    async stop() {
      kit.health.markDraining();
      await kit.discovery.deregister();
      // Nest closes HTTP first (in-flight requests finish), then runs the shutdown hooks, where
      // TypeORM destroys its DataSource; the broker goes last.
      await app?.close();
      await kit.revocationFeed.stop();
      await broker.close();
      await kit.discovery.stop();
    },
  };
}

async function createNestApp(definition: NestServiceDefinition, kit: NestServiceKit): Promise<INestApplication> {
  const app = await NestFactory.create(definition.module(kit), {
    logger: new PinoNestLogger(kit.logger),
    // Nest's default calls process.abort() on a failed bootstrap; runService exits 1 with a log line instead.
    abortOnError: false,
    // The platform's parser (below) instead of Nest's: same limit and depth rule as the Express services.
    bodyParser: false,
  });
  // Middleware added to the Express instance now runs before everything Nest registers at init
  // (routes, its 404 handler), so request ids, access logs and metrics cover every request.
  const express = app.getHttpAdapter().getInstance() as Express;
  installCommonMiddleware(express, kit);
  express.use(jsonBody());
  express.use(openApiRoutes(buildNestOpenApiDocument(app, definition.openApi)));
  app.useGlobalFilters(new ProblemExceptionFilter(kit.logger));
  app.useGlobalPipes(createValidationPipe());
  const events = definition.events;
  if (events) {
    const { config } = definition;
    app.connectMicroservice(
      {
        strategy: new DomainEventsTransport({
          broker: kit.broker,
          logger: kit.logger,
          metrics: kit.metrics,
          queue: events.queue,
          types: events.types,
          idempotency: events.idempotency(app),
          prefetch: config.RABBITMQ_PREFETCH,
          maxRetries: config.RABBITMQ_MAX_RETRIES,
          retryBaseMs: config.RABBITMQ_RETRY_BASE_MS,
        }),
      },
      // The global pipe and filter are for HTTP; event handlers get validated CloudEvents.
      { inheritAppConfig: false },
    );
    await app.startAllMicroservices();
  }
  return app;
}

/** Builds the service (config included) and runs it until SIGTERM; a bad config exits 1 naming the variable. */
export function runNestService(build: () => NestService): void {
  runMain(() => {
    const service = build();
    return { service, logger: service.kit.logger, shutdownTimeoutMs: service.shutdownTimeoutMs };
  });
}
