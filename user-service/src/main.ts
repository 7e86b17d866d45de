import 'reflect-metadata';
import { nestService, runNestService } from '@oip/platform/nest';
import { revocationRetentionSeconds } from '@oip/platform';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { databaseOptions } from './database/database-options';
import { UsersRepository } from './users/users.repository';

runNestService(() => {
  const config = loadServiceConfig();
  return nestService({
    name: 'user-service',
    port: config.USER_SERVICE_PORT,
    config,
    openApi: { title: 'user-service', version: '1.0.0', description: 'Accounts, credentials and access tokens' },
    module: (kit) => AppModule.forRoot(config, kit),
    migrations: databaseOptions(config),
    // The revocations are this service's own data: read from the database, not over HTTP from itself.
    revocationSource: (app) => {
      const users = app.get(UsersRepository);
      return () => users.recentRevocations(revocationRetentionSeconds(config.ACCESS_TOKEN_TTL_SECONDS));
    },
  });
});
