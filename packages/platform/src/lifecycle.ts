import type { Server } from 'node:http';
import type { Logger } from 'pino';

/**
 * Every process is a `start()` / `stop()` pair. On SIGTERM or SIGINT it stops taking work, lets
 * in-flight work finish (bounded by a timeout), then exits; a second signal exits at once.
 */
export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function runService(service: Service, logger: Logger, shutdownTimeoutMs: number): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown timed out, exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    timer.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    // Logged, not fatal: one failed request must not take the service down.
    logger.error({ err: reason }, 'unhandled promise rejection');
  });

  service.start().catch((error: unknown) => {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  });
}

/** Starts listening and resolves with the bound port (useful with port 0 in tests). */
export async function listen(server: Server, port: number, host?: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Stops accepting connections, closes idle keep-alive ones, and waits for in-flight requests. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeIdleConnections();
  await closed;
}
