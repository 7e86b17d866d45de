import { randomUUID } from 'node:crypto';
import { createEvent, type AnyCloudEvent, type EventData, type EventType } from '@oip/contracts';
import { BrokerConnection, createLogger, dlqOf, EventConsumer, EventPublisher, retryDelays, retryQueueOf, handlerIsIdempotent } from '@oip/platform';
import { createConnection } from 'mongoose';
import { assertTestDatabaseName, request, startService, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';

export const INVENTORY_DB = assertTestDatabaseName('inventory_test');
export const PRODUCT_DB = assertTestDatabaseName('products_test');

export function inventoryEnv(issuer: TestIssuer, overrides: Record<string, string> = {}): Record<string, string> {
  const infra = testInfra();
  return {
    ...issuer.env,
    MONGO_URL: infra.mongoUrl,
    INVENTORY_DB_NAME: INVENTORY_DB,
    RABBITMQ_URL: infra.rabbitmqUrl,
    RABBITMQ_RETRY_BASE_MS: '200',
    INVENTORY_OUTBOX_POLL_MS: '200',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

export function startInventoryService(issuer: TestIssuer, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService('inventory-service', 'INVENTORY_SERVICE_PORT', inventoryEnv(issuer, overrides));
}

/** A broker client of the test's own: publishes events as a producer would, and taps event types. */
export class TestBroker {
  private readonly logger = createLogger('inventory-test', 'error');
  private readonly broker = new BrokerConnection(testInfra().rabbitmqUrl, this.logger, { name: 'inventory-test', maxBackoffMs: 500 });
  private readonly publisher = new EventPublisher(this.broker, this.logger);
  private readonly consumers: Array<{ consumer: EventConsumer; queue: string }> = [];

  async start(): Promise<void> {
    this.broker.start();
    await this.broker.whenConnected(20_000);
    await this.publisher.start();
  }

  /** Answers the event's id. */
  async publish<T extends EventType>(type: T, data: EventData<T>, subject: string, source = '/test'): Promise<string> {
    const event = createEvent(type, data, { source, subject });
    await this.publisher.publish(event);
    return event.id;
  }

  /** A new product as product-service announces it. */
  async productCreated(productId = randomUUID()): Promise<string> {
    await this.publish('product_created', { productId, sku: `INV-${productId.slice(0, 8)}`, name: 'Widget', price: '3.00', currency: 'EUR' }, productId, '/product-service');
    return productId;
  }

  async tap(types: EventType[]): Promise<{ events: AnyCloudEvent[]; next: (predicate: (event: AnyCloudEvent) => boolean, timeoutMs?: number) => Promise<AnyCloudEvent> }> {
    const queue = `test-tap-${randomUUID().slice(0, 8)}`;
    const events: AnyCloudEvent[] = [];
    const consumer = new EventConsumer(this.broker, this.logger, {
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
    this.consumers.push({ consumer, queue });
    return { events, next: (predicate, timeoutMs = 20_000) => waitFor(() => events.find(predicate), timeoutMs) };
  }

  async close(purge: string[] = []): Promise<void> {
    for (const { consumer } of this.consumers) await consumer.stop();
    await this.broker.onConnect(async (connection) => {
      const channel = await connection.createChannel();
      for (const { queue } of this.consumers) {
        for (const name of [queue, dlqOf(queue), ...retryDelays(100, 1).map((delay) => retryQueueOf(queue, delay))]) await channel.deleteQueue(name).catch(() => undefined);
      }
      for (const name of purge) await channel.purgeQueue(name).catch(() => undefined);
      await channel.close().catch(() => undefined);
    });
    await this.broker.close();
  }
}

export type Stock = Record<string, unknown> & { onHand: number; reserved: number; available: number; openHolds: number; applied?: boolean; code?: string };

/** Waits until inventory-service's consumer has handled an event (its idempotency marker is stamped processed). */
export async function eventHandled(eventId: string, timeoutMs = 20_000): Promise<void> {
  const connection = await createConnection(testInfra().mongoUrl, { dbName: INVENTORY_DB }).asPromise();
  try {
    const markers = connection.collection<{ _id: string; processedAt?: Date }>('processed_events');
    await waitFor(async () => ((await markers.findOne({ _id: `inventory-service:${eventId}`, processedAt: { $exists: true } })) ? true : undefined), timeoutMs, 100);
  } finally {
    await connection.close();
  }
}

/** Waits until inventory-service has the stock record of a product (it arrives by event). */
export function stockAppears(baseUrl: string, token: string, productId: string, timeoutMs = 20_000): Promise<Stock> {
  return waitFor(async () => {
    const answer = await request<Stock>('GET', `${baseUrl}/inventory/${productId}`, { token });
    return answer.status === 200 ? answer.body : undefined;
  }, timeoutMs);
}
