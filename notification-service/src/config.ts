import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { z } from 'zod';

/** Every variable notification-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  NOTIFICATION_SERVICE_PORT: env.port(3005),
  MONGO_URL: env.string('mongodb://127.0.0.1:27017'),
  NOTIFICATION_DB_NAME: env.string('notifications'),
  SMTP_HOST: env.string('127.0.0.1'),
  SMTP_PORT: env.port(1025),
  SMTP_FROM: env.string('Order & Inventory <no-reply@order-inventory.local>'),
  /** Who is told about stock_low: the event has no customer, so it goes to operations. */
  OPS_EMAIL: z.email({ error: 'must be an e-mail address' }).default('ops@example.com'),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
