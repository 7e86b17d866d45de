import { Client, type ClientConfig } from 'pg';
import { env } from '../config';

/**
 * Connection and schema policy shared by the PostgreSQL services. The policy (migrations only,
 * applied at boot under an advisory lock by `nestService` — see migrate.ts; never `synchronize`) lives here once so no service can drift from it. Plain data
 * typed to fit TypeORM's PostgreSQL options, so the platform itself does not depend on TypeORM.
 */
export const postgresConfigShape = {
  POSTGRES_HOST: env.string('127.0.0.1'),
  POSTGRES_PORT: env.port(5432),
  POSTGRES_USER: env.string('app'),
  POSTGRES_PASSWORD: env.string('app'),
};

export interface PostgresConfig {
  POSTGRES_HOST: string;
  POSTGRES_PORT: number;
  POSTGRES_USER: string;
  POSTGRES_PASSWORD: string;
}

/**
 * A pool's connection that cannot crash its process. pg emits a connection's failure (say, the
 * server terminating it on a restart: 57P01) as an 'error' event, and an 'error' nobody listens
 * to ends the process. The pool listens while a connection is idle, TypeORM while it holds one;
 * a connection TypeORM has just handed back after a failure has neither, and the server's
 * termination notice arrived there: order-service exited mid-test on a PostgreSQL restart. Both
 * still hear every error; this listener only keeps the last one from being fatal.
 */
export class PoolClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

export function postgresOptions(config: PostgresConfig, database: string, applicationName: string) {
  return {
    type: 'postgres' as const,
    host: config.POSTGRES_HOST,
    port: config.POSTGRES_PORT,
    username: config.POSTGRES_USER,
    password: config.POSTGRES_PASSWORD,
    database,
    applicationName,
    synchronize: false,
    // Not by TypeORM at initialize(): two replicas starting together would both apply them.
    migrationsRun: false,
    // One transaction per migration: a failed one leaves the earlier ones applied and itself not.
    migrationsTransactionMode: 'each' as const,
    // Migrations own the schema, extensions included; gen_random_uuid() is built into PostgreSQL 13+.
    installExtensions: false,
    uuidExtension: 'pgcrypto' as const,
    // Bounded pool and a connect timeout, so a database outage fails checks fast instead of hanging.
    extra: { max: 10, connectionTimeoutMillis: 3000, Client: PoolClient },
  };
}
