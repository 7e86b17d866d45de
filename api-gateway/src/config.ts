import { baseConfigShape, env, loadConfig } from '@oip/platform';
import { z } from 'zod';

/** Every variable the gateway reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...baseConfigShape,
  GATEWAY_PORT: env.port(3000),
  /** Only for the token revocation events (user_roles_changed, user_deactivated); the gateway publishes nothing. */
  RABBITMQ_URL: env.url('amqp://app:app@127.0.0.1:5672'),
  USER_SERVICE_URL: env.url('http://127.0.0.1:3001'),
  PRODUCT_SERVICE_URL: env.url('http://127.0.0.1:3002'),
  ORDER_SERVICE_URL: env.url('http://127.0.0.1:3003'),
  INVENTORY_SERVICE_URL: env.url('http://127.0.0.1:3004'),
  NOTIFICATION_SERVICE_URL: env.url('http://127.0.0.1:3005'),
  UPSTREAM_TIMEOUT_MS: env.int(10000, 1),
  /** Largest request body passed upstream, in bytes. */
  BODY_LIMIT_BYTES: env.int(1_048_576, 1),
  CORS_ORIGINS: env.list('http://localhost:3000'),
  RATE_LIMIT_PER_MINUTE: env.int(600, 1),
  /**
   * The gateway is the edge: by default no client may name its own address in X-Forwarded-For.
   * Behind a load balancer, list the balancer's address.
   */
  TRUSTED_PROXIES: env.proxies(''),
  /** `label=url` pairs, comma-separated: the infrastructure UIs the operations console links to. */
  CONSOLE_LINKS: env.list(''),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
