import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createEvent, type CloudEvent, type EventData, type EventType } from '@oip/contracts';
import { BrokerConnection, createLogger, createRegistryClient, EventPublisher, InstanceRegistration } from '@oip/platform';
import {
  assertTestDatabaseName,
  freePort,
  request,
  startService,
  testInfra,
  waitFor,
  type JsonResponse,
  type ServiceProcess,
} from '@oip/testkit';
import { Client } from 'pg';

/**
 * The whole platform for the saga suites: the six services as real processes from their compiled
 * entry points, on real PostgreSQL, FerretDB, RabbitMQ and the SMTP catcher, reached through the
 * gateway with real tokens from user-service. The durable queues are shared with other suites, so
 * nothing here relies on them being empty: every test makes its own customers, products and orders
 * and looks only at those.
 */
export const ORDER_DB = assertTestDatabaseName('orders_test');
const USER_DB = assertTestDatabaseName('users_test');
const PRODUCT_DB = assertTestDatabaseName('products_test');
const INVENTORY_DB = assertTestDatabaseName('inventory_test');
const NOTIFICATION_DB = assertTestDatabaseName('notifications_test');
const ISSUER = 'http://user-service';
const AUDIENCE = 'order-inventory-platform';

type Env = Record<string, string>;
export type ServiceName = 'user-service' | 'product-service' | 'order-service' | 'inventory-service' | 'notification-service' | 'api-gateway';

const portVariables: Record<ServiceName, string> = {
  'user-service': 'USER_SERVICE_PORT',
  'product-service': 'PRODUCT_SERVICE_PORT',
  'order-service': 'ORDER_SERVICE_PORT',
  'inventory-service': 'INVENTORY_SERVICE_PORT',
  'notification-service': 'NOTIFICATION_SERVICE_PORT',
  'api-gateway': 'GATEWAY_PORT',
};

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

export interface OrderLine {
  productId: string;
  name: string;
  unitPrice: string;
  quantity: number;
  lineTotal: string;
}

export interface Order {
  id: string;
  customerId: string;
  status: string;
  items: OrderLine[];
  total: string;
  currency: string;
  stockOutcome: string | null;
  rejection?: { reason: string; shortItems: Array<{ productId: string; name?: string; requested: number; available: number }> } | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Record<string, string>;
}

export interface Stock {
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
  openHolds: number;
  /** The open holds as inventory's movement history shows them (see `holdsOf`). */
  holds: Array<{ reference: string; quantity: number }>;
}

export interface Notification {
  id: string;
  type: string;
  orderId?: string;
  status: string;
  subject: string;
  text?: string;
}

/** Every service on a port fixed before it starts (so user-service and the gateway can be wired to it). */
export class Stack {
  readonly ports = {} as Record<ServiceName, number>;
  readonly processes = new Map<ServiceName, ServiceProcess>();
  readonly adminEmail = `admin-${randomUUID().slice(0, 8)}@example.test`;
  readonly adminPassword = `Admin-${randomUUID()}`;
  private readonly signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  private readonly signingKid = `saga-${randomUUID().slice(0, 8)}`;
  private adminAccount: Account | undefined;
  db!: Client;

  /** Every stack registers in etcd under a namespace of its own, so suites never find each other's instances. */
  readonly registryNamespace = `/test-${randomUUID().slice(0, 8)}`;

  /** `shared`: environment for every process of the stack (e.g. METRICS_TOKEN, OpenTelemetry). */
  constructor(
    private readonly overrides: Partial<Record<ServiceName, Env>> = {},
    private readonly shared: Env = {},
  ) {}

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  /** The gateway's `/api` base. */
  get api(): string {
    return `${this.url('api-gateway')}/api`;
  }

  get admin(): Account {
    assert.ok(this.adminAccount, 'the stack is not started');
    return this.adminAccount;
  }

  async start(): Promise<void> {
    for (const service of Object.keys(portVariables) as ServiceName[]) this.ports[service] = await freePort();
    // user-service first: every other service fetches its JWKS.
    await this.startOne('user-service');
    await Promise.all((['product-service', 'inventory-service', 'notification-service', 'order-service'] as const).map((service) => this.startOne(service)));
    await this.startOne('api-gateway');
    // The gateway routes to instances once they have registered (each does when it is ready).
    await this.ready('api-gateway');
    this.db = new Client({ ...testInfra().postgres, database: ORDER_DB });
    await this.db.connect();
    const token = await this.login(this.adminEmail, this.adminPassword);
    const me = await request<{ id: string }>('GET', `${this.api}/users/me`, { token });
    this.adminAccount = { id: me.body.id, email: this.adminEmail, password: this.adminPassword, token };
  }

  async stop(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    await Promise.all([...this.processes.values()].map((process) => process.stop()));
    this.processes.clear();
  }

  /** Starts (or restarts) one service on its port and waits until it answers /health/live. */
  async startOne(service: ServiceName, extra: Env = {}): Promise<ServiceProcess> {
    const port = this.ports[service];
    const process = await startService(service, portVariables[service], { ...this.envOf(service), ...this.overrides[service], ...extra }, port);
    this.processes.set(service, process);
    await this.registered(process.url, service);
    return process;
  }

  /**
   * Waits until the instance has registered in etcd (it does once ready): only then is it routed
   * to. A service started with DISCOVERY=static is not waited for.
   */
  private async registered(url: string, service: ServiceName): Promise<void> {
    let last = 'no answer';
    try {
      await waitFor(async () => {
        const answer = await fetch(`${url}/health/ready`).catch(() => undefined);
        if (!answer) return undefined;
        const report = (await answer.json()) as { checks?: Record<string, { status: string }> };
        last = JSON.stringify(report.checks);
        const registry = report.checks?.['registry'];
        return !registry || registry.status === 'up' ? true : undefined;
      }, 60_000, 100);
    } catch (error) {
      throw new Error(`${service} did not register within 60 s; last readiness checks: ${last}`, { cause: error });
    }
  }

  /** Another instance of `service` on a port of its own, beside the stack's; the caller stops it. */
  async startReplica(service: ServiceName, extra: Env = {}): Promise<ServiceProcess> {
    const replica = await startService(service, portVariables[service], { ...this.envOf(service), ...this.overrides[service], ...extra });
    await this.registered(replica.url, service);
    return replica;
  }

  /**
   * Registers `url` in this stack's registry as an instance of `service`, the way an instance
   * registers itself, until the returned function is called.
   */
  async registerInstance(service: ServiceName, url: string): Promise<() => Promise<void>> {
    const client = createRegistryClient([testInfra().etcdHosts], this.registryNamespace);
    const record = { id: `${service}-test-${randomUUID().slice(0, 8)}`, name: service, url, version: 'test', startedAt: new Date().toISOString(), pid: process.pid, host: 'test' };
    const registration = new InstanceRegistration(client, record, 4, createLogger('test-registration', 'warn'));
    registration.start();
    await waitFor(() => {
      try {
        registration.assertRegistered();
        return true;
      } catch {
        return undefined;
      }
    }, 10_000);
    return async () => {
      await registration.stop();
      client.close();
    };
  }

  process(service: ServiceName): ServiceProcess {
    const process = this.processes.get(service);
    assert.ok(process, `${service} is not running`);
    return process;
  }

  /** Waits until the service reports ready (its database and broker reachable). */
  async ready(service: ServiceName, timeoutMs = 30_000): Promise<void> {
    let last = 'no answer';
    try {
      await waitFor(
        async () => {
          // Each probe bounded: an answer that hangs is no answer, and the next probe asks again.
          const answer = await fetch(`${this.url(service)}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
          if (answer) last = `${answer.status} ${await answer.text()}`;
          return answer?.ok ? true : undefined;
        },
        timeoutMs,
        200,
      );
    } catch (error) {
      // Which check stayed down is what a reader of a failed run needs first; a process that is
      // gone says so, with the end of what it wrote.
      const instance = this.processes.get(service);
      const exit = instance ? await Promise.race([instance.exited.then((code) => `exited with ${String(code)}`), new Promise<string>((resolve) => setTimeout(() => resolve('running'), 0))]) : 'not started';
      throw new Error(`${service} not ready within ${timeoutMs} ms; last readiness: ${last}; process ${exit}; its output ends:\n${instance?.output().slice(-3_000) ?? ''}`, { cause: error });
    }
  }

  private envOf(service: ServiceName): Env {
    const infra = testInfra();
    // Discovery as npm start and compose run it: through etcd.
    const registry: Env = { DISCOVERY: 'etcd', ETCD_HOSTS: infra.etcdHosts, REGISTRY_NAMESPACE: this.registryNamespace, REGISTRY_TTL_SECONDS: '4' };
    const common: Env = {
      ...registry,
      RABBITMQ_URL: infra.rabbitmqUrl,
      // Fast retries, so a message that met a stopped dependency comes back within the test.
      RABBITMQ_RETRY_BASE_MS: '200',
      JWKS_URL: `${this.url('user-service')}/.well-known/jwks.json`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      LOG_LEVEL: 'warn',
      ...this.shared,
    };
    const postgres: Env = {
      POSTGRES_HOST: infra.postgres.host,
      POSTGRES_PORT: String(infra.postgres.port),
      POSTGRES_USER: infra.postgres.user,
      POSTGRES_PASSWORD: infra.postgres.password,
      OUTBOX_POLL_INTERVAL_MS: '200',
    };
    switch (service) {
      case 'user-service':
        return {
          ...common,
          ...postgres,
          USER_DB_NAME: USER_DB,
          BCRYPT_COST: '4',
          JWT_PRIVATE_KEY: this.signingKey,
          JWT_KEY_ID: this.signingKid,
          ADMIN_EMAIL: this.adminEmail,
          ADMIN_PASSWORD: this.adminPassword,
          // Every test logs in from 127.0.0.1; the per-address throttle must not get in the way.
          LOGIN_THROTTLE_MAX_PER_IP: '100000',
        };
      case 'product-service':
        return { ...common, MONGO_URL: infra.mongoUrl, PRODUCT_DB_NAME: PRODUCT_DB, PRODUCT_OUTBOX_POLL_MS: '200' };
      case 'inventory-service':
        return {
          ...common,
          MONGO_URL: infra.mongoUrl,
          INVENTORY_DB_NAME: INVENTORY_DB,
          INVENTORY_OUTBOX_POLL_MS: '200',
          // No stock_low mail to operations from these tests.
          INVENTORY_LOW_STOCK_THRESHOLD: '0',
        };
      case 'notification-service':
        return {
          ...common,
          MONGO_URL: infra.mongoUrl,
          NOTIFICATION_DB_NAME: NOTIFICATION_DB,
          SMTP_HOST: infra.smtp.host,
          SMTP_PORT: String(infra.smtp.port),
        };
      case 'order-service':
        return { ...common, ...postgres, ORDER_DB_NAME: ORDER_DB, PRODUCT_LOOKUP_TIMEOUT_MS: '1500', PRODUCT_CACHE_MS: '0' };
      case 'api-gateway':
        return {
          ...registry,
          RABBITMQ_URL: infra.rabbitmqUrl,
          JWKS_URL: common['JWKS_URL'] ?? '',
          JWT_ISSUER: ISSUER,
          JWT_AUDIENCE: AUDIENCE,
          LOG_LEVEL: 'warn',
          RATE_LIMIT_PER_MINUTE: '100000',
          UPSTREAM_TIMEOUT_MS: '10000',
          ...this.shared,
        };
    }
  }

  // ---- clients ----------------------------------------------------------------------------------

  async login(email: string, password: string): Promise<string> {
    const answer = await request<{ accessToken: string }>('POST', `${this.api}/auth/login`, { body: { email, password } });
    assert.equal(answer.status, 200, `login: ${JSON.stringify(answer.body)}`);
    return answer.body.accessToken;
  }

  /** A new customer, registered and logged in through the gateway. */
  async customer(): Promise<Account> {
    const email = `saga-${randomUUID().slice(0, 12)}@example.test`;
    const password = `pw-${randomUUID()}`;
    const registered = await request<{ id: string }>('POST', `${this.api}/auth/register`, { body: { email, password, name: 'Saga Customer' } });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    return { id: registered.body.id, email, password, token: await this.login(email, password) };
  }

  /** A product of the test's own, with `stock` on hand once inventory has heard of it. */
  async product(stock: number, options: { price?: string; currency?: string; name?: string } = {}): Promise<{ id: string; name: string; price: string }> {
    const name = options.name ?? `Saga item ${randomUUID().slice(0, 8)}`;
    const created = await request<{ id: string; price: string }>('POST', `${this.api}/products`, {
      token: this.admin.token,
      body: { name, price: options.price ?? '12.50', currency: options.currency ?? 'EUR', sku: `SAGA-${randomUUID().slice(0, 12)}` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    // The stock record arrives with product_created; until then the quantity cannot be set.
    await waitFor(async () => {
      const set = await request('PUT', `${this.api}/inventory/${id}/quantity`, { token: this.admin.token, body: { quantity: stock } });
      return set.status === 200 ? true : undefined;
    }, 20_000, 200);
    return { id, name, price: created.body.price };
  }

  placeOrder(token: string, items: Array<{ productId: string; quantity: number }>, headers: Record<string, string> = {}): Promise<JsonResponse<Order & Problem>> {
    return request<Order & Problem>('POST', `${this.api}/orders`, { token, body: { items }, headers });
  }

  async order(id: string, token = this.admin.token): Promise<Order> {
    const answer = await request<Order>('GET', `${this.api}/orders/${id}`, { token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  /** Waits until the order reaches one of `statuses` (it is read as the admin). */
  async settled(id: string, statuses: string[] = ['CONFIRMED', 'REJECTED'], timeoutMs = 30_000): Promise<Order> {
    return waitFor(async () => {
      const answer = await request<Order>('GET', `${this.api}/orders/${id}`, { token: this.admin.token });
      return answer.status === 200 && statuses.includes(answer.body.status) ? answer.body : undefined;
    }, timeoutMs, 150);
  }

  async stock(productId: string): Promise<Stock> {
    const answer = await request<Stock>('GET', `${this.api}/inventory/${productId}`, { token: this.admin.token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const holds = await this.holdsOf(productId);
    assert.equal(answer.body.openHolds, holds.length, 'the stock record counts the holds its history shows');
    return { ...answer.body, holds };
  }

  /** Holds reserved and not yet released or deducted, replayed from the product's movements (admin API), oldest first. */
  async holdsOf(productId: string): Promise<Array<{ reference: string; quantity: number }>> {
    type Movement = { reference?: string; reservedDelta: number };
    const movements: Movement[] = [];
    for (let page = 1; ; page += 1) {
      const answer = await request<{ items: Movement[]; total: number }>('GET', `${this.api}/inventory/${productId}/movements?limit=100&page=${page}`, { token: this.admin.token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      movements.push(...answer.body.items);
      if (movements.length >= answer.body.total || answer.body.items.length === 0) break;
    }
    const open = new Map<string, number>();
    for (const movement of movements.reverse()) {
      if (!movement.reference) continue;
      if (movement.reservedDelta > 0) open.set(movement.reference, movement.reservedDelta);
      if (movement.reservedDelta < 0) open.delete(movement.reference);
    }
    return [...open].map(([reference, quantity]) => ({ reference, quantity }));
  }

  /** The customer's notifications (their own view through the gateway). */
  async notifications(customer: Account): Promise<Notification[]> {
    const answer = await request<{ items: Notification[] }>('GET', `${this.api}/notifications?limit=100`, { token: customer.token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.items;
  }

  async waitForNotifications(customer: Account, predicate: (items: Notification[]) => boolean, timeoutMs = 20_000): Promise<Notification[]> {
    return waitFor(async () => {
      const items = await this.notifications(customer);
      return predicate(items) ? items : undefined;
    }, timeoutMs, 200);
  }

  /** Waits until order-service has stored at least `count` orders of the customer (a burst is under way). */
  async ordersTaken(customer: Account, count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => {
      const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE customer_id = $1', [customer.id]);
      return Number(rows[0]?.n ?? 0) >= count ? true : undefined;
    }, timeoutMs, 10);
  }

  /** A counter from a service's /metrics, summed over the series whose labels include `labels`. */
  async counter(service: ServiceName, name: string, labels: Record<string, string>): Promise<number> {
    return this.counterAt(this.url(service), name, labels);
  }

  /** The same, from one instance at `url`. */
  async counterAt(url: string, name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }
}

/** Publishes events to the real broker the way a producer does (validated, persistent, confirmed). */
export class TestPublisher {
  private readonly logger = createLogger('order-saga-test', 'error');
  private readonly broker = new BrokerConnection(testInfra().rabbitmqUrl, this.logger, { name: 'order-saga-test', maxBackoffMs: 500 });
  private readonly publisher = new EventPublisher(this.broker, this.logger);

  async start(): Promise<void> {
    this.broker.start();
    await this.broker.whenConnected(20_000);
    await this.publisher.start();
  }

  async publish(event: CloudEvent): Promise<void> {
    await this.publisher.publish(event, 20_000);
  }

  event<T extends EventType>(type: T, data: EventData<T>, subject: string): CloudEvent<T> {
    return createEvent(type, data, { source: '/test', subject });
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

