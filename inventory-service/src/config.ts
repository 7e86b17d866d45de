import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { z } from 'zod';

/** Every variable inventory-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  INVENTORY_SERVICE_PORT: env.port(3004),
  MONGO_URL: env.string('mongodb://127.0.0.1:27017'),
  INVENTORY_DB_NAME: env.string('inventory'),
  PRODUCT_SERVICE_URL: env.url('http://127.0.0.1:3002'),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
