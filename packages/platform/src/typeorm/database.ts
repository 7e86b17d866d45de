import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { DataSource, QueryFailedError, type DataSourceOptions } from 'typeorm';
import { readinessCheck } from '../nest/readiness-check';

/** The insert or update broke the named unique constraint (PostgreSQL 23505). */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === constraint;
}

/** Readiness follows the database; the platform already registers the RabbitMQ check. */
@Module({
  providers: [
    readinessCheck('database', [DataSource], (dataSource: DataSource) => async () => {
      await dataSource.query('SELECT 1');
    }),
  ],
})
export class DatabaseHealthModule {}

/**
 * For a service's `database/data-source.ts`, the entry point of the typeorm CLI (`npm run
 * migration:*` on the compiled file). The service itself never imports that module: building a
 * DataSource at import time would read the environment outside the boot path that reports a bad config.
 */
export function migrationDataSource(options: DataSourceOptions): DataSource {
  return new DataSource(options);
}
