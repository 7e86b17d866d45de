import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { postgresConfigShape } from '@oip/platform/nest';
import { outboxConfigShape } from '@oip/platform/outbox';
import { z } from 'zod';

/** Every variable order-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  ...postgresConfigShape,
  ...outboxConfigShape,
  ORDER_SERVICE_PORT: env.port(3003),
  ORDER_DB_NAME: env.string('orders'),
  /** Where product names and prices are read when an order is placed. */
  PRODUCT_SERVICE_URL: env.url('http://127.0.0.1:3002'),
  /** Time limit of one product lookup; past it (or with product-service down) POST /orders answers 503. */
  PRODUCT_LOOKUP_TIMEOUT_MS: env.int(2000, 1),
  /**
   * How long an active product's name and price, once read, price new orders without asking
   * product-service again (0: ask every time). A price change reaches orders at most this late.
   */
  PRODUCT_CACHE_MS: env.int(1000, 0),
  /** An order still PENDING this long after it was placed (no stock answer came) is cancelled with reason `timeout`. */
  ORDER_PENDING_TIMEOUT_SECONDS: env.int(120, 1),
  /** How often each replica looks for such orders, in milliseconds. */
  ORDER_PENDING_SWEEP_INTERVAL_MS: env.int(10_000, 100),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
