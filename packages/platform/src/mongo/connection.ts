import mongoose, { type Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { ServiceKit } from '../express-service';

/**
 * A mongoose connection to the service's own database. Short server-selection timeouts keep a
 * request from hanging when the database is down: it fails fast and readiness turns 503.
 */
export async function connectMongo(url: string, dbName: string, logger: Logger): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    dbName,
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    maxPoolSize: 20,
    // FerretDB (our MongoDB-wire server on machines without Docker) does not do retryable writes.
    retryWrites: false,
    autoIndex: true,
  });
  connection.on('disconnected', () => logger.warn('MongoDB disconnected'));
  connection.on('reconnected', () => logger.info('MongoDB reconnected'));
  await connection.asPromise();
  logger.info({ dbName }, 'connected to MongoDB');
  return connection;
}

/** Readiness: a round trip to the server, not just the driver's idea of its state. */
export async function pingMongo(connection: Connection): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('MongoDB not connected');
  await db.admin().command({ ping: 1 }, { timeoutMS: 1500 });
}

/** Connects the service's database and makes readiness depend on it; returns it with its closer. */
export async function connectServiceMongo(kit: ServiceKit, url: string, dbName: string): Promise<Connection> {
  const connection = await connectMongo(url, dbName, kit.logger);
  kit.health.register('mongo', () => pingMongo(connection));
  return connection;
}
