import 'reflect-metadata';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type DataSourceOptions } from 'typeorm';
import type { NestServiceKit } from '../nest/nest-service';
import { PlatformModule } from '../nest/platform.module';
import { readinessCheck } from '../nest/readiness-check';
import { OutboxModule } from '../outbox/outbox.module';

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

/**
 * What the root module of a PostgreSQL NestJS service starts with: the platform (the kit as
 * providers, the token guards), the database (migrations applied at boot), the outbox relay, and
 * readiness that follows the database. The service adds its own capability modules.
 */
export function postgresServiceModules(
  kit: NestServiceKit,
  config: { OUTBOX_POLL_INTERVAL_MS: number },
  database: DataSourceOptions,
): Array<DynamicModule | Type> {
  return [
    PlatformModule.forRoot(kit, config),
    TypeOrmModule.forRoot(database),
    OutboxModule.forRoot({ pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS }),
    DatabaseHealthModule,
  ];
}
