import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { z } from 'zod';

/** Every variable product-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  PRODUCT_SERVICE_PORT: env.port(3002),
  MONGO_URL: env.string('mongodb://127.0.0.1:27017'),
  PRODUCT_DB_NAME: env.string('products'),
  /** How often the outbox relay looks for unpublished events when not nudged by a write. */
  PRODUCT_OUTBOX_POLL_MS: env.int(1000, 10),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
