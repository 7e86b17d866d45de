import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { postgresConfigShape } from '@oip/platform/nest';
import { z } from 'zod';

/** Every variable user-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  ...postgresConfigShape,
  USER_SERVICE_PORT: env.port(3001),
  USER_DB_NAME: env.string('users'),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
