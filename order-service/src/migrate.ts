import 'reflect-metadata';
import { runMigrationMain } from '@oip/platform/nest';
import { loadServiceConfig } from './config';
import { databaseOptions } from './database/database-options';

/** Applies pending migrations and exits: the Helm chart's init container runs it before the service. */
runMigrationMain('order-service', () => {
  const config = loadServiceConfig();
  return { options: databaseOptions(config), logLevel: config.LOG_LEVEL };
});
