import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { HealthRegistry } from './health';
import { closeServer, listen, runService, type Service } from './lifecycle';
import { createLogger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { BrokerConnection } from './messaging/broker-connection';
import { TokenVerification, type VerifyToken } from './auth/jwt-verifier';
import { httpRevocationSource, RevocationFeed, type RevocationSource } from './auth/revocation-feed';
import { revocationRetentionSeconds, TokenPolicy, TokenRevocations } from './auth/token-revocations';
import type { MetricsAccess } from './http/metrics-access';
import { answerClientErrorsAsProblems } from './http/client-error';
import { Discovery, type DiscoveryConfig } from './registry/discovery';

/**
 * The skeleton every Express service shares, so a service's main.ts only says what is its own:
 * how to connect its store, which consumers it runs and which app it serves. Shutdown order:
 * report not-ready, leave the registry, stop taking HTTP and messages, let in-flight work finish,
 * close the broker, then the database.
 */
export interface ServiceKit {
  logger: Logger;
  metrics: Metrics;
  health: HealthRegistry;
  /** The one way this process checks an access token (key lookup, options, policy). */
  tokens: TokenVerification;
  /** `tokens.verify`: the whole check, for Express routes and the gateway. */
  verifyToken: VerifyToken;
  /** Keeps the revocation list current (per-process queue + backfill from user-service). */
  revocationFeed: RevocationFeed;
  /** More requests than this at once are shed with 503 (MAX_CONCURRENT_REQUESTS). */
  maxConcurrentRequests: number;
  /** Who may scrape /metrics (METRICS_TOKEN). */
  metricsAccess: MetricsAccess;
  /** Peers whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  trustedProxies: readonly string[];
  broker: BrokerConnection | undefined;
  /** How this process finds other services (and, with etcd, how it is found). */
  discovery: Discovery;
  /** The broker, for services that configured one. */
  requireBroker(): BrokerConnection;
}

/** The common keys of every service's config (see commonConfigShape). */
export interface CommonConfig extends DiscoveryConfig {
  LOG_LEVEL: string;
  /** Absent for a process that does not use the broker (the gateway). */
  RABBITMQ_URL?: string;
  SHUTDOWN_TIMEOUT_MS: number;
  MAX_CONCURRENT_REQUESTS: number;
  JWKS_URL: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: number;
  METRICS_TOKEN?: string;
  TRUSTED_PROXIES: readonly string[];
}

export interface ExpressServiceDefinition {
  name: string;
  port: number;
  config: CommonConfig;
  /** Connects stores, registers health checks, starts publishers and consumers; returns the app and what to stop. */
  setup(kit: ServiceKit): Promise<{ app: Express; stopWork?: () => Promise<void>; closeStores?: () => Promise<void> }>;
}

export interface ExpressService extends Service {
  kit: ServiceKit;
  shutdownTimeoutMs: number;
}

/**
 * Token verification for one process: its revocation list, the policy over it, the verifier, and
 * the feed that keeps the list current. `source` defaults to user-service's list beside the JWKS.
 */
export function tokenVerification(config: CommonConfig, broker: BrokerConnection | undefined, logger: Logger, source?: RevocationSource) {
  const revocations = new TokenRevocations(revocationRetentionSeconds(config.ACCESS_TOKEN_TTL_SECONDS));
  const tokenPolicy = new TokenPolicy(revocations, config.ACCESS_TOKEN_TTL_SECONDS);
  const tokens = new TokenVerification({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, policy: tokenPolicy });
  return {
    tokens,
    verifyToken: tokens.verify,
    revocationFeed: new RevocationFeed({ revocations, broker, logger, source: source ?? httpRevocationSource(config.JWKS_URL) }),
  };
}

export function expressService(definition: ExpressServiceDefinition): ExpressService {
  const { config } = definition;
  const logger = createLogger(definition.name, config.LOG_LEVEL);
  const broker = config.RABBITMQ_URL ? new BrokerConnection(config.RABBITMQ_URL, logger, { name: definition.name }) : undefined;
  const kit: ServiceKit = {
    logger,
    metrics: createMetrics(definition.name),
    health: new HealthRegistry(),
    ...tokenVerification(config, broker, logger),
    maxConcurrentRequests: config.MAX_CONCURRENT_REQUESTS,
    metricsAccess: { token: config.METRICS_TOKEN },
    trustedProxies: config.TRUSTED_PROXIES,
    broker,
    discovery: new Discovery(config, definition.name, logger),
    requireBroker() {
      if (!this.broker) throw new Error(`${definition.name} was defined without RABBITMQ_URL`);
      return this.broker;
    },
  };
  if (broker) kit.health.register('rabbitmq', () => broker.assertConnected());
  kit.health.register('token-revocations', () => kit.revocationFeed.assertSynced());
  kit.discovery.registerHealthCheck(kit.health);
  let server: Server | undefined;
  let stopWork: (() => Promise<void>) | undefined;
  let closeStores: (() => Promise<void>) | undefined;
  return {
    kit,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    async start() {
      broker?.start();
      await kit.discovery.start();
      await kit.revocationFeed.start();
      const setup = await definition.setup(kit);
      stopWork = setup.stopWork;
      closeStores = setup.closeStores;
      server = createServer(setup.app);
      answerClientErrorsAsProblems(server);
      const port = await listen(server, definition.port);
      logger.info({ port }, `${definition.name} listening`);
      kit.discovery.registerWhenReady(port, kit.health);
    },
    async stop() {
      kit.health.markDraining();
      await kit.discovery.deregister();
      if (server) await closeServer(server);
      await stopWork?.();
      await kit.revocationFeed.stop();
      await broker?.close();
      await closeStores?.();
      await kit.discovery.stop();
    },
  };
}

/** Builds the service (config included) and runs it until SIGTERM; a bad config exits 1 naming the variable. */
export function runMain(build: () => { service: Service; logger: Logger; shutdownTimeoutMs: number }): void {
  let built: ReturnType<typeof build>;
  try {
    built = build();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  runService(built.service, built.logger, built.shutdownTimeoutMs);
}

export function runExpressService(build: () => ExpressService): void {
  runMain(() => {
    const service = build();
    return { service, logger: service.kit.logger, shutdownTimeoutMs: service.shutdownTimeoutMs };
  });
}
