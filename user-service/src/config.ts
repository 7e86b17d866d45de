import path from 'node:path';
import { commonConfigShape, env, loadConfig } from '@oip/platform';
import { postgresConfigShape } from '@oip/platform/nest';
import { outboxConfigShape } from '@oip/platform/outbox';
import { Email } from '@oip/contracts';
import { z } from 'zod';

/**
 * Where a generated signing key is kept when JWT_PRIVATE_KEY is empty: `.data/keys` at the
 * repository root, found from this file's place (`<root>/user-service/dist/src`) rather than from
 * the working directory, so `npm start -w user-service`, the root scripts, the tests and the image
 * (`/app/.data`, a volume in compose) all land on the same git-ignored directory.
 */
export const defaultKeyDir = path.resolve(__dirname, '../../../.data/keys');

/** An optional secret or name: empty in .env means "not set". */
const optional = () => z.string().min(1).optional();

/** Every variable user-service reads; the compose test checks each is in .env.example and compose. */
export const configSchema = z.object({
  ...commonConfigShape,
  ...postgresConfigShape,
  ...outboxConfigShape,
  USER_SERVICE_PORT: env.port(3001),
  USER_DB_NAME: env.string('users'),
  /** RS256 private key (PEM; `\n` escapes allowed). Unset: generated once into JWT_KEY_DIR. */
  JWT_PRIVATE_KEY: optional().transform((value) => value?.replace(/\\n/g, '\n')),
  /** `kid` of the signing key. Unset: the key's RFC 7638 thumbprint. */
  JWT_KEY_ID: optional(),
  JWT_KEY_DIR: env.string(defaultKeyDir),
  REFRESH_TOKEN_TTL_SECONDS: env.int(14 * 24 * 3600, 1),
  /** bcrypt work factor; 4 (the minimum) only for tests. */
  BCRYPT_COST: env.int(12, 4).pipe(z.number().max(15, 'must be at most 15')),
  /** First admin, created (or given the admin role) at start-up. Both unset: no admin is made. */
  // The rule login applies (contracts' Email): an address it refuses could never log in.
  ADMIN_EMAIL: Email.optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Login throttling (auth/login-throttle.policy.ts): counters run over a fixed window. */
  LOGIN_THROTTLE_WINDOW_SECONDS: env.int(900, 1),
  /** Attempts of one address on one account before that pair gets 429; failures of an account before it is slowed. */
  LOGIN_THROTTLE_MAX_PER_ACCOUNT: env.int(5, 1),
  /** Failed logins of one client address, whatever the accounts, before it gets 429. */
  LOGIN_THROTTLE_MAX_PER_IP: env.int(50, 1),
  /** First delay of a login to an account past LOGIN_THROTTLE_MAX_PER_ACCOUNT failures; doubles with each further failure. */
  LOGIN_THROTTLE_DELAY_MS: env.int(250, 0),
  /** Bound of that delay: the longest an owner waits while strangers guess at the account. */
  LOGIN_THROTTLE_MAX_DELAY_MS: env.int(4000, 0),
});

export type Config = z.infer<typeof configSchema>;

export const loadServiceConfig = (): Config => loadConfig(configSchema);
