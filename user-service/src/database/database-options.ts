import path from 'node:path';
import { postgresOptions } from '@oip/platform/nest';
import { OutboxEntity } from '@oip/platform/outbox';
import type { DataSourceOptions } from 'typeorm';
import { LoginThrottleEntity } from '../auth/login-throttle.entity';
import { RefreshTokenEntity } from '../auth/refresh-token.entity';
import type { Config } from '../config';
import { UserEntity } from '../users/user.entity';

/** The one description of the database, shared by the running service and the typeorm CLI. */
export function databaseOptions(config: Config): DataSourceOptions {
  return {
    ...postgresOptions(config, config.USER_DB_NAME, 'user-service'),
    entities: [UserEntity, RefreshTokenEntity, LoginThrottleEntity, OutboxEntity],
    // Compiled migrations only: the service and the CLI both run from dist/.
    migrations: [path.join(__dirname, 'migrations', '*.js')],
  };
}
