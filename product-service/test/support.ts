import { randomUUID } from 'node:crypto';
import type { AnyCloudEvent, EventType } from '@oip/contracts';
import { BrokerConnection, createLogger, dlqOf, EventConsumer, retryQueueOf, retryDelays, handlerIsIdempotent } from '@oip/platform';
import { assertTestDatabaseName, startService, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';

export const PRODUCT_DB = assertTestDatabaseName('products_test');

export function productServiceEnv(issuer: TestIssuer, overrides: Record<string, string> = {}): Record<string, string> {
  const infra = testInfra();
  return {
    ...issuer.env,
    MONGO_URL: infra.mongoUrl,
    PRODUCT_DB_NAME: PRODUCT_DB,
    RABBITMQ_URL: infra.rabbitmqUrl,
    PRODUCT_OUTBOX_POLL_MS: '200',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

export function startProductService(issuer: TestIssuer, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService('product-service', 'PRODUCT_SERVICE_PORT', productServiceEnv(issuer, overrides));
}

export const uniqueSku = (prefix = 'SKU'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Events seen on the real broker by a queue of the test's own, bound to the given types. */
export interface EventTap {
  events: AnyCloudEvent[];
  next(predicate: (event: AnyCloudEvent) => boolean, timeoutMs?: number): Promise<AnyCloudEvent>;
  close(): Promise<void>;
}

export async function tapEvents(types: EventType[]): Promise<EventTap> {
  const infra = testInfra();
  const logger = createLogger('event-tap', 'error');
  const broker = new BrokerConnection(infra.rabbitmqUrl, logger, { name: 'event-tap', maxBackoffMs: 500 });
  broker.start();
  await broker.whenConnected(20_000);
  const queue = `test-tap-${randomUUID().slice(0, 8)}`;
  const events: AnyCloudEvent[] = [];
  const consumer = new EventConsumer(broker, logger, {
    queue,
    types,
    handler: async (event) => {
      events.push(event);
    },
    // Every delivery is recorded, repeats included: a tap that dropped repeated ids would hide a
    // relay publishing the same event twice.
    idempotency: handlerIsIdempotent,
    prefetch: 50,
    maxRetries: 1,
    retryBaseMs: 100,
    // An interrupted run cannot leave queues collecting events for ever.
    queueExpiresMs: 10 * 60_000,
  });
  await consumer.start();
  return {
    events,
    next: (predicate, timeoutMs = 20_000) => waitFor(() => events.find(predicate), timeoutMs),
    async close() {
      await consumer.stop();
      await broker.onConnect(async (connection) => {
        const channel = await connection.createChannel();
        for (const name of [queue, dlqOf(queue), ...retryDelays(100, 1).map((delay) => retryQueueOf(queue, delay))]) {
          await channel.deleteQueue(name).catch(() => undefined);
        }
        await channel.close().catch(() => undefined);
      });
      await broker.close();
    },
  };
}

/** Empties a service queue that this suite's events landed in (the platform topology binds them). */
export async function purgeQueue(queue: string): Promise<void> {
  const broker = new BrokerConnection(testInfra().rabbitmqUrl, createLogger('purge', 'error'), { name: 'test-purge' });
  broker.start();
  await broker.whenConnected(20_000);
  await broker.onConnect(async (connection) => {
    const channel = await connection.createChannel();
    await channel.purgeQueue(queue).catch(() => undefined);
    await channel.close().catch(() => undefined);
  });
  await broker.close();
}
