import { z } from 'zod';
import { isProxyAddress } from './http/trusted-proxies';

/**
 * Every service reads its environment once, at boot, through a zod schema. A missing or malformed
 * variable stops the process with a message that names it, instead of failing later at first use.
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings count as unset, so `FOO=` in a .env falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return result.data;
}

/** Field builders, so that every service spells the same kind of variable the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number({ error: 'must be a whole number' }).int().min(min).default(fallback),
  string: (fallback: string) => z.string().min(1).default(fallback),
  url: (fallback: string) => z.url({ error: 'must be a URL' }).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  /** Comma-separated proxy addresses, CIDR ranges or `loopback` / `linklocal` / `uniquelocal`. */
  proxies: (fallback: string) =>
    env
      .list(fallback)
      .refine((entries) => entries.every(isProxyAddress), { error: 'must list addresses, CIDR ranges or loopback, linklocal, uniquelocal' }),
};

/**
 * How instances find each other. `etcd`: every instance registers itself and resolves the others
 * through the registry. `static`: the `*_SERVICE_URL` variables (Kubernetes service DNS, a load
 * balancer).
 */
export const discoveryConfigShape = {
  DISCOVERY: z.enum(['etcd', 'static']).default('etcd'),
  ETCD_HOSTS: env.list('http://127.0.0.1:2379').refine((hosts) => hosts.length > 0, { error: 'must list at least one etcd endpoint' }),
  /** Key prefix in front of `/services/`, so that several systems (or test stacks) can share one etcd. */
  REGISTRY_NAMESPACE: z.string().regex(/^[A-Za-z0-9_./-]*$/, { error: 'may hold letters, digits and _ . / - only' }).default(''),
  /** Lease TTL: an instance that stops sending heartbeats disappears within this time. */
  REGISTRY_TTL_SECONDS: env.int(10, 2),
  /** The host others use to reach this instance; `auto` = this machine's first non-internal IPv4 address (containers). */
  ADVERTISE_HOST: env.string('127.0.0.1'),
};

/**
 * OpenTelemetry's own variables, read by the tracing preload (telemetry/preload.ts) before the
 * service starts; listed here so a typo fails the boot with a message naming it.
 */
export const tracingConfigShape = {
  /** OTLP/HTTP collector (Jaeger: port 4318); unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_TRACES_SAMPLER: z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).optional(),
  /** The ratio for the *traceidratio samplers, 0..1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  /** Milliseconds a finished span may wait before its batch is sent (OpenTelemetry's default: 5000). */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(0).optional(),
};

/** Variables every process shares: environment, logging, shutdown, token verification, discovery. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(10000, 0),
  /** Requests one process works on at once; more are refused at once with 503 and Retry-After. */
  MAX_CONCURRENT_REQUESTS: env.int(256, 1),
  JWKS_URL: env.url('http://127.0.0.1:3001/.well-known/jwks.json'),
  JWT_ISSUER: env.string('http://user-service'),
  JWT_AUDIENCE: env.string('order-inventory-platform'),
  /**
   * Lifetime of the access tokens user-service signs, and the longest any verifier accepts. Capped
   * at 300 s: a revocation entry is kept only this long, and longer sessions are what refresh
   * tokens are for.
   */
  ACCESS_TOKEN_TTL_SECONDS: env.int(300, 1).pipe(z.number().max(300, 'must be at most 300 (use refresh tokens for longer sessions)')),
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; the gateway serves metrics only then. */
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /**
   * Peers whose X-Forwarded-For is believed: the gateway's address. Locally the gateway reaches a
   * service over loopback; in compose it has a fixed address. The gateway itself defaults to none.
   */
  TRUSTED_PROXIES: env.proxies('loopback'),
  ...discoveryConfigShape,
  ...tracingConfigShape,
};

/** Variables every service that uses the broker shares. */
export const commonConfigShape = {
  ...baseConfigShape,
  RABBITMQ_URL: env.url('amqp://app:app@127.0.0.1:5672'),
  RABBITMQ_PREFETCH: env.int(20, 1),
  RABBITMQ_MAX_RETRIES: env.int(5, 0),
  RABBITMQ_RETRY_BASE_MS: env.int(1000, 1),
};
