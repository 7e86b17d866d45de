import { DataSource, type DataSourceOptions } from 'typeorm';
import { ConfigError } from '../config';
import { createLogger, type Logger } from '../logger';

/**
 * Key of the PostgreSQL advisory lock held while migrations run. Advisory locks belong to one
 * database, so every service can use the same key on its own database.
 */
export const MIGRATION_LOCK_KEY = 7_421_000_001;

/**
 * Applies a service's pending migrations once, however many copies start together: TypeORM 0.3
 * takes no lock of its own, so the advisory lock makes a second copy (another pod's init container
 * in the Helm chart) wait, then find nothing pending. Returns the names of the migrations it applied.
 */
export async function migrateWithLock(options: DataSourceOptions, logger: Logger): Promise<string[]> {
  // Not at initialize(): that would run them before the lock is held.
  const dataSource = new DataSource({ ...options, migrationsRun: false });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    logger.info({ database: options.database }, 'waiting for the migration lock');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      const names = applied.map((migration) => migration.name);
      logger.info({ database: options.database, applied: names }, names.length ? 'migrations applied' : 'no migration pending');
      return names;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}

/**
 * Entry point of a service's `dist/src/migrate.js`: migrates and exits 0, or exits 1 with the
 * reason (a bad variable named on stderr, like the service itself). Never starts the service.
 */
export function runMigrationMain(name: string, build: () => { options: DataSourceOptions; logLevel: string }): void {
  let built: ReturnType<typeof build>;
  try {
    built = build();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(`${name}-migrate`, built.logLevel);
  migrateWithLock(built.options, logger).catch((error: unknown) => {
    logger.error({ err: error }, 'migration failed');
    process.exitCode = 1;
  });
}
