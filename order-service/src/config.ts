import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { postgresConfigShape } from '@oip/platform/nest';
import { z } from 'zod';

/** Every variable order-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  ...postgresConfigShape,
  ORDER_SERVICE_PORT: env.port(3003),
  ORDER_DB_NAME: env.string('orders'),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
