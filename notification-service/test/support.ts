import { randomUUID } from 'node:crypto';
import { createEvent, type CloudEvent, type EventData, type EventType } from '@oip/contracts';
import { BrokerConnection, createLogger, EventPublisher } from '@oip/platform';
import { assertTestDatabaseName, queueStats, request, startService, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import mongoose, { type Connection } from 'mongoose';

export const NOTIFICATION_DB = assertTestDatabaseName('notifications_test');

export interface NotificationView {
  id: string;
  type: string;
  eventId: string;
  orderId?: string;
  customerId?: string;
  recipient: string;
  channel: string;
  subject: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  lastError?: string;
  createdAt: string;
  sentAt?: string;
  text?: string;
}

export interface NotificationPage {
  items: NotificationView[];
  page: number;
  limit: number;
  total: number;
}

export function startNotificationService(issuer: TestIssuer, overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  const infra = testInfra();
  return startService('notification-service', 'NOTIFICATION_SERVICE_PORT', {
    ...issuer.env,
    MONGO_URL: infra.mongoUrl,
    NOTIFICATION_DB_NAME: NOTIFICATION_DB,
    RABBITMQ_URL: infra.rabbitmqUrl,
    SMTP_HOST: infra.smtp.host,
    SMTP_PORT: String(infra.smtp.port),
    RABBITMQ_RETRY_BASE_MS: '200',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}

/** Publishes events to the real broker the way their producers do (confirmed, validated). */
export class TestPublisher {
  private readonly logger = createLogger('notification-test', 'error');
  private readonly broker = new BrokerConnection(testInfra().rabbitmqUrl, this.logger, { name: 'notification-test', maxBackoffMs: 500 });
  private readonly publisher = new EventPublisher(this.broker, this.logger);

  async start(): Promise<void> {
    this.broker.start();
    await this.broker.whenConnected(20_000);
    await this.publisher.start();
  }

  event<T extends EventType>(type: T, data: EventData<T>, subject: string): CloudEvent<T> {
    return createEvent(type, data, { source: '/test', subject, correlationId: `test-${randomUUID()}` });
  }

  async publish(event: CloudEvent): Promise<void> {
    await this.publisher.publish(event, 20_000);
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

/** A customer of the test's own: unique id and address, so shared queue and mailbox do not matter. */
export function newCustomer(): { customerId: string; email: string } {
  const customerId = randomUUID();
  return { customerId, email: `c-${customerId.slice(0, 13)}@example.com` };
}

export function orderRef(customer: { customerId: string; email: string }, orderId = randomUUID()): { orderId: string; customerId: string; customerEmail: string } {
  return { orderId, customerId: customer.customerId, customerEmail: customer.email };
}

/**
 * Publishes `event` and waits for `probe` to answer; publishes the same event again every few
 * seconds while it does not. Other suites purge the shared `notification-service` queue when they
 * finish, which can remove a message of ours that is waiting (or coming back from a retry queue);
 * a second copy of the same event is exactly the redelivery the service is built to absorb.
 */
export async function publishUntil<T>(
  publisher: TestPublisher,
  event: CloudEvent,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; alreadyPublished?: boolean } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let round = 0; ; round += 1) {
    if (round > 0 || !options.alreadyPublished) await publisher.publish(event);
    try {
      return await waitFor(probe, Math.max(500, Math.min(6_000, deadline - Date.now())), 200);
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
  }
}

/** Waits until the service has worked off whatever other suites left in the shared queue. */
export async function waitForQueueDrained(queue = 'notification-service', timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => ((await queueStats(queue)).messages === 0 ? true : undefined), timeoutMs, 500);
}

export async function listNotifications(service: ServiceProcess, token: string, query = ''): Promise<NotificationPage> {
  const answer = await request<NotificationPage>('GET', `${service.url}/notifications${query}`, { token });
  if (answer.status !== 200) throw new Error(`GET /notifications${query} answered ${answer.status}`);
  return answer.body;
}

/** A probe: the customer's notifications (admin view) once they match `predicate`. */
export function customerNotifications(service: ServiceProcess, adminToken: string, customerId: string, predicate: (items: NotificationView[]) => boolean): () => Promise<NotificationView[] | undefined> {
  return async () => {
    const page = await listNotifications(service, adminToken, `?customerId=${customerId}`);
    return predicate(page.items) ? page.items : undefined;
  };
}

/** Waits until the admin view shows the customer's notifications matching `predicate`. */
export function waitForNotifications(
  service: ServiceProcess,
  adminToken: string,
  customerId: string,
  predicate: (items: NotificationView[]) => boolean,
  timeoutMs = 20_000,
): Promise<NotificationView[]> {
  return waitFor(customerNotifications(service, adminToken, customerId, predicate), timeoutMs, 200);
}

/** The notification service's database, read directly only where the API cannot show it. */
export async function connectNotificationDb(): Promise<Connection> {
  return mongoose.createConnection(testInfra().mongoUrl, { dbName: NOTIFICATION_DB, retryWrites: false }).asPromise();
}

