import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { z } from 'zod';

/** Every variable inventory-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  INVENTORY_SERVICE_PORT: env.port(3004),
  MONGO_URL: env.string('mongodb://127.0.0.1:27017'),
  INVENTORY_DB_NAME: env.string('inventory'),
  PRODUCT_SERVICE_URL: env.url('http://127.0.0.1:3002'),
  /** Time limit of one product lookup for GET /inventory; past it the item shows product: null. */
  INVENTORY_PRODUCT_TIMEOUT_MS: env.int(1000, 1),
  /** Threshold of new stock records: stock_low goes out when available stock falls below it. */
  INVENTORY_LOW_STOCK_THRESHOLD: env.int(5, 0),
  /** How often the outbox relay looks for unpublished stock_low events when not nudged. */
  INVENTORY_OUTBOX_POLL_MS: env.int(1000, 10),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
