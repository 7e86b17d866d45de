import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createEvent, deterministicEventId, type CloudEvent } from '@oip/contracts';
import { BrokerConnection, createLogger } from '@oip/platform';
import { request, testInfra, waitFor } from '@oip/testkit';
import { DataSource } from 'typeorm';
import { OrderItemEntity } from '../src/orders/order-item.entity';
import { OrderEntity } from '../src/orders/order.entity';
import { OrdersRepository } from '../src/orders/orders.repository';
import { PendingOrderSweeper } from '../src/orders/pending-order.sweeper';
import { ORDER_DB } from './support';
import { Stack, TestPublisher, type Account, type Order } from './support';

const PENDING_TIMEOUT_SECONDS = 5;
const MAX_RETRIES = 2;

type Movement = { reference?: string; reservedDelta: number; delta: number };
/** The order as order-service shows it, with the reason of a cancellation. */
type OrderWithReason = Order & { cancelReason: string | null };

/**
 * Faults of the saga that no happy path shows: answers that repeat or contradict each other,
 * events inventory receives twice, an event that can never be handled, and an order whose answer
 * never comes. Everything crosses the real broker between the real services.
 */
describe('the order saga under repeated, conflicting and missing events', () => {
  const stack = new Stack({
    'order-service': {
      ORDER_PENDING_TIMEOUT_SECONDS: String(PENDING_TIMEOUT_SECONDS),
      ORDER_PENDING_SWEEP_INTERVAL_MS: '300',
      RABBITMQ_MAX_RETRIES: String(MAX_RETRIES),
    },
  });
  const publisher = new TestPublisher();
  let customer: Account;

  before(async () => {
    await stack.start();
    await publisher.start();
    customer = await stack.customer();
  });

  after(async () => {
    await publisher.close();
    await stack.stop();
  });

  /** The event order-service wrote to its outbox for the order (what it published). */
  const outboxEvents = async (orderId: string, type: string): Promise<CloudEvent[]> => {
    const { rows } = await stack.db.query<{ payload: CloudEvent }>(`SELECT payload FROM outbox WHERE type = $1 AND payload->>'subject' = $2 ORDER BY created_at`, [type, orderId]);
    return rows.map((row) => row.payload);
  };

  /** A product's stock movements that name `reference`, oldest first. */
  const movementsOf = async (productId: string, reference: string): Promise<Movement[]> => {
    const answer = await request<{ items: Movement[] }>('GET', `${stack.api}/inventory/${productId}/movements?limit=100`, { token: stack.admin.token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.items.filter((movement) => movement.reference === reference).reverse();
  };

  const figures = async (productId: string) => {
    const stock = await stack.stock(productId);
    return { onHand: stock.onHand, reserved: stock.reserved, available: stock.available, holds: stock.holds.length };
  };

  const consumed = (service: 'order-service' | 'inventory-service', type: string, outcome: string) => stack.counter(service, 'events_consumed_total', { type, outcome });

  it('When inventory reserves for an order it had already rejected, then the order stays REJECTED and the hold is released', async () => {
    const product = await stack.product(1);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 3 }]);
    const rejected = await stack.settled(placed.body.id);
    assert.equal(rejected.status, 'REJECTED');
    // The shelves are restocked, and inventory runs the order again (its record of having handled
    // order_created lost, e.g. in a crash before it was written): this time it reserves.
    await request('PUT', `${stack.api}/inventory/${product.id}/quantity`, { token: stack.admin.token, body: { quantity: 10 } });
    const [created] = await outboxEvents(placed.body.id, 'order_created');
    assert.ok(created);

    await publisher.publish({ ...created, id: randomUUID() });
    const movements = await waitFor(async () => {
      const found = await movementsOf(product.id, placed.body.id);
      return found.some((movement) => movement.reservedDelta > 0) && found.some((movement) => movement.reservedDelta < 0) ? found : undefined;
    }, 20_000, 250);
    const order = await stack.order(placed.body.id);

    assert.deepEqual(movements.map((movement) => movement.reservedDelta), [3, -3]);
    assert.deepEqual(await figures(product.id), { onHand: 10, reserved: 0, available: 10, holds: 0 });
    assert.equal(order.status, 'REJECTED');
    assert.equal(order.stockOutcome, 'REJECTED');
    assert.equal(order.version, rejected.version);
    assert.equal((await outboxEvents(placed.body.id, 'order_confirmed')).length, 0);
    assert.deepEqual((await outboxEvents(placed.body.id, 'order_cancelled')).map((event) => event.id), [deterministicEventId(`order_cancelled:${placed.body.id}:release`)]);
  });

  it('When a conflicting reservation comes again under another id, then it is handled, not dead-lettered, and nothing more is sent', async () => {
    const product = await stack.product(1);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 3 }]);
    assert.equal((await stack.settled(placed.body.id)).status, 'REJECTED');
    const reserved = { orderId: placed.body.id, items: [{ productId: product.id, quantity: 3 }] };
    const handled = () => consumed('order-service', 'stock_reserved', 'processed');
    const before = await handled();

    await publisher.publish(publisher.event('stock_reserved', reserved, placed.body.id));
    await publisher.publish(publisher.event('stock_reserved', reserved, placed.body.id));
    await waitFor(async () => ((await handled()) >= before + 2 ? true : undefined), 20_000, 200);
    const order = await stack.order(placed.body.id);

    assert.equal(order.status, 'REJECTED');
    assert.deepEqual((await outboxEvents(placed.body.id, 'order_cancelled')).map((event) => event.id), [deterministicEventId(`order_cancelled:${placed.body.id}:release`)]);
  });

  it('When inventory repeats or contradicts its answer to a confirmed order, then the order keeps the first answer and its hold', async () => {
    const product = await stack.product(10);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    const confirmed = await stack.settled(placed.body.id, ['CONFIRMED']);
    const orderId = placed.body.id;
    const reserved = { orderId, items: [{ productId: product.id, quantity: 2 }] };
    const before = {
      duplicate: await consumed('order-service', 'stock_reserved', 'duplicate'),
      reserved: await consumed('order-service', 'stock_reserved', 'processed'),
      rejected: await consumed('order-service', 'stock_rejected', 'processed'),
    };

    // The same answer again (inventory's id), the same answer under a new id, and the opposite answer.
    await publisher.publish(createEvent('stock_reserved', reserved, { source: '/inventory-service', subject: orderId, id: deterministicEventId(`stock_reserved:${orderId}`) }));
    await publisher.publish(publisher.event('stock_reserved', reserved, orderId));
    await publisher.publish(publisher.event('stock_rejected', { orderId, reason: 'insufficient stock', shortItems: [{ productId: product.id, requested: 2, available: 0 }] }, orderId));
    await waitFor(async () => {
      const done =
        (await consumed('order-service', 'stock_reserved', 'duplicate')) > before.duplicate &&
        (await consumed('order-service', 'stock_reserved', 'processed')) > before.reserved &&
        (await consumed('order-service', 'stock_rejected', 'processed')) > before.rejected;
      return done ? true : undefined;
    }, 20_000, 200);
    const order = await stack.order(orderId);

    assert.equal(order.status, 'CONFIRMED');
    assert.equal(order.stockOutcome, 'RESERVED');
    assert.equal(order.version, confirmed.version);
    assert.equal((await outboxEvents(orderId, 'order_confirmed')).length, 1);
    assert.equal((await outboxEvents(orderId, 'order_rejected')).length, 0);
    assert.equal((await outboxEvents(orderId, 'order_cancelled')).length, 0);
    assert.deepEqual(await figures(product.id), { onHand: 10, reserved: 2, available: 8, holds: 1 });
  });

  it('When order_cancelled and order_shipped reach inventory again, then each is applied once and the stock figures are exact', async () => {
    const product = await stack.product(10);
    const cancelledId = (await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }])).body.id;
    const shippedId = (await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 3 }])).body.id;
    await stack.settled(cancelledId, ['CONFIRMED']);
    await stack.settled(shippedId, ['CONFIRMED']);
    assert.equal((await request('POST', `${stack.api}/orders/${cancelledId}/cancel`, { token: customer.token })).status, 200);
    assert.equal((await request('PUT', `${stack.api}/orders/${shippedId}/status`, { token: stack.admin.token, body: { status: 'SHIPPED' } })).status, 200);
    await waitFor(async () => {
      const now = await figures(product.id);
      return now.onHand === 7 && now.reserved === 0 ? true : undefined;
    }, 20_000, 200);
    const [cancellation] = await outboxEvents(cancelledId, 'order_cancelled');
    const [shipment] = await outboxEvents(shippedId, 'order_shipped');
    assert.ok(cancellation && shipment);
    const before = {
      cancelled: await consumed('inventory-service', 'order_cancelled', 'duplicate'),
      shipped: await consumed('inventory-service', 'order_shipped', 'duplicate'),
      fresh: (await consumed('inventory-service', 'order_cancelled', 'processed')) + (await consumed('inventory-service', 'order_shipped', 'processed')),
    };

    // Redelivered three times each, and once more each under a new id (a producer that lost its id).
    for (let copy = 0; copy < 3; copy += 1) {
      await publisher.publish(cancellation);
      await publisher.publish(shipment);
    }
    await publisher.publish({ ...cancellation, id: randomUUID() });
    await publisher.publish({ ...shipment, id: randomUUID() });
    await waitFor(async () => {
      const done =
        (await consumed('inventory-service', 'order_cancelled', 'duplicate')) >= before.cancelled + 3 &&
        (await consumed('inventory-service', 'order_shipped', 'duplicate')) >= before.shipped + 3 &&
        (await consumed('inventory-service', 'order_cancelled', 'processed')) + (await consumed('inventory-service', 'order_shipped', 'processed')) >= before.fresh + 2;
      return done ? true : undefined;
    }, 20_000, 200);

    assert.deepEqual(await figures(product.id), { onHand: 7, reserved: 0, available: 7, holds: 0 });
    assert.deepEqual((await movementsOf(product.id, cancelledId)).map((movement) => movement.reservedDelta), [2, -2]);
    assert.deepEqual(
      (await movementsOf(product.id, shippedId)).map((movement) => [movement.reservedDelta, movement.delta]),
      [[3, 0], [-3, -3]],
    );
  });

  it('When an event can never be handled, then it is dead-lettered after RABBITMQ_MAX_RETRIES retries, counted on /metrics, and the events after it still flow', async () => {
    const labels = { queue: 'order-service', type: 'stock_reserved' };
    const before = await stack.counter('order-service', 'events_dead_lettered_total', labels);
    const product = await stack.product(5);
    // Valid by the contract, refused by PostgreSQL on every attempt: the order id is not a UUID.
    const poison = publisher.event('stock_reserved', { orderId: `poison-${randomUUID().slice(0, 8)}`, items: [{ productId: product.id, quantity: 1 }] }, 'poison');

    await publisher.publish(poison);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const order = await stack.settled(placed.body.id, ['CONFIRMED', 'REJECTED'], 20_000);
    const counted = await waitFor(async () => {
      const now = await stack.counter('order-service', 'events_dead_lettered_total', labels);
      return now > before ? now : undefined;
    }, 20_000, 200);
    const dead = await takeFromQueue('order-service.dlq', poison.id);

    assert.equal(order.status, 'CONFIRMED');
    assert.equal(counted, before + 1);
    assert.equal(dead.headers['x-attempt'], MAX_RETRIES + 1);
    // The handler's own error, for whoever reads the dead-letter queue.
    assert.match(String(dead.headers['x-last-error']), /invalid input syntax for type uuid/);
  });

  it('When inventory never answers, then an order is CANCELLED for timeout, a customer\'s earlier cancel is announced, both are told, and the late reservations are released', async () => {
    const product = await stack.product(10);
    const buyer = await stack.customer();
    await stack.process('inventory-service').stop();
    let left: Order;
    let withdrawn: Order;
    try {
      left = (await stack.placeOrder(buyer.token, [{ productId: product.id, quantity: 4 }])).body;
      withdrawn = (await stack.placeOrder(buyer.token, [{ productId: product.id, quantity: 3 }])).body;
      assert.deepEqual([left.status, withdrawn.status], ['PENDING', 'PENDING']);
      // Cancelled by its customer while inventory is away: announced only with the answer, or after the timeout.
      const withdrawal = await request<OrderWithReason>('POST', `${stack.api}/orders/${withdrawn.id}/cancel`, { token: buyer.token });
      assert.deepEqual([withdrawal.status, withdrawal.body.status, withdrawal.body.cancelReason], [200, 'CANCELLED', 'customer']);

      const cancelled = (await stack.settled(left.id, ['CANCELLED', 'CONFIRMED', 'REJECTED'], (PENDING_TIMEOUT_SECONDS + 10) * 1000)) as OrderWithReason;
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(cancelled.cancelReason, 'timeout');
      assert.ok(Date.parse(cancelled.updatedAt) - Date.parse(cancelled.createdAt) >= PENDING_TIMEOUT_SECONDS * 1000);
      await stack.waitForNotifications(buyer, (items) => [left.id, withdrawn.id].every((id) => items.some((item) => item.orderId === id && item.type === 'order_cancelled')), 20_000);
    } finally {
      await stack.startOne('inventory-service');
    }

    // Inventory, back, reserves for the orders it finds in its queue and answers: too late.
    const late = await waitFor(async () => {
      const orders = await Promise.all([left, withdrawn].map((order) => stack.order(order.id)));
      return orders.every((order) => order.stockOutcome === 'RESERVED') ? orders : undefined;
    }, 30_000, 250);
    const stock = await waitFor(async () => {
      const now = await figures(product.id);
      return now.reserved === 0 ? now : undefined;
    }, 20_000, 250);

    assert.deepEqual(late.map((order) => order.status), ['CANCELLED', 'CANCELLED']);
    assert.deepEqual(stock, { onHand: 10, reserved: 0, available: 10, holds: 0 });
    for (const [order, quantity] of [[left, 4], [withdrawn, 3]] as const) {
      assert.deepEqual((await movementsOf(product.id, order.id)).map((movement) => movement.reservedDelta), [quantity, -quantity], order.id);
      assert.equal((await outboxEvents(order.id, 'order_confirmed')).length, 0);
      // The announcement without an answer, then the release the late reservation called for.
      assert.deepEqual(
        (await outboxEvents(order.id, 'order_cancelled')).map((event) => event.id),
        [deterministicEventId(`order_cancelled:${order.id}`), deterministicEventId(`order_cancelled:${order.id}:release`)],
        order.id,
      );
    }
  });

  it('When several replicas sweep the same stale orders at once, then each order is cancelled once and announced once, and a broken one holds up none', async () => {
    const infra = testInfra();
    // Two more replicas' repositories, each with its own connection pool, beside the running service's sweeper.
    const replicas = [0, 1].map(
      () =>
        new DataSource({
          type: 'postgres',
          host: infra.postgres.host,
          port: infra.postgres.port,
          username: infra.postgres.user,
          password: infra.postgres.password,
          database: ORDER_DB,
          entities: [OrderEntity, OrderItemEntity],
        }),
    );
    await Promise.all(replicas.map((replica) => replica.initialize()));
    try {
      const ids: string[] = [];
      for (let index = 0; index < 30; index += 1) {
        const { rows } = await stack.db.query<{ id: string }>(
          `INSERT INTO orders (customer_id, customer_email, status, total, currency, created_at) VALUES ($1, $2, 'PENDING', '6.25', 'EUR', now() - interval '1 hour') RETURNING id`,
          [customer.id, customer.email],
        );
        const id = rows[0]?.id;
        assert.ok(id);
        await stack.db.query(`INSERT INTO order_items (order_id, product_id, name, unit_price, quantity) VALUES ($1, $2, 'Mug', '6.25', 1)`, [id, `stale-${index}`]);
        ids.push(id);
      }

      // An order no event can be built for (no lines: the contract refuses it) must not hold up the others.
      const { rows: [broken] } = await stack.db.query<{ id: string }>(
        `INSERT INTO orders (customer_id, customer_email, status, total, currency, created_at) VALUES ($1, $2, 'PENDING', '0', 'EUR', now() - interval '2 hours') RETURNING id`,
        [customer.id, customer.email],
      );
      assert.ok(broken);
      const logger = createLogger('saga-faults-sweeper', 'fatal');
      const config = { ORDER_PENDING_TIMEOUT_SECONDS: PENDING_TIMEOUT_SECONDS, ORDER_PENDING_SWEEP_INTERVAL_MS: 1000 };
      const swept = await Promise.all(replicas.map((replica) => new PendingOrderSweeper(new OrdersRepository(replica), config, logger).sweep()));
      const { rows } = await stack.db.query<{ id: string; status: string; cancel_reason: string; version: number; announced: string }>(
        `SELECT o.id, o.status, o.cancel_reason, o.version,
                (SELECT count(*) FROM outbox WHERE type = 'order_cancelled' AND payload->>'subject' = o.id::text) AS announced
           FROM orders o WHERE o.id = ANY($1::uuid[])`,
        [ids],
      );
      const byReplicas = swept.flat();

      assert.equal(new Set(byReplicas).size, byReplicas.length, 'two replicas both cancelled an order');
      assert.equal(rows.length, ids.length);
      for (const row of rows) assert.deepEqual([row.status, row.cancel_reason, row.version, Number(row.announced)], ['CANCELLED', 'timeout', 2, 1], row.id);
      const { rows: [stillBroken] } = await stack.db.query<{ status: string }>(`SELECT status FROM orders WHERE id = $1`, [broken.id]);
      assert.equal(stillBroken?.status, 'PENDING');
      await stack.db.query(`DELETE FROM orders WHERE id = $1`, [broken.id]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.destroy()));
    }
  });
});

/** Takes the message with `messageId` off a queue (others are put back); fails when it is not there. */
async function takeFromQueue(queue: string, messageId: string): Promise<{ headers: Record<string, unknown> }> {
  const logger = createLogger('saga-faults-test', 'error');
  const broker = new BrokerConnection(testInfra().rabbitmqUrl, logger, { name: 'saga-faults-test', maxBackoffMs: 500 });
  let found: { headers: Record<string, unknown> } | undefined;
  await broker.onConnect(async (connection) => {
    const channel = await connection.createChannel();
    const others = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      if (message.properties.messageId === messageId) {
        found = { headers: message.properties.headers ?? {} };
        channel.ack(message);
        break;
      }
      others.push(message);
    }
    for (const message of others) channel.nack(message, false, true);
    await channel.close();
  });
  broker.start();
  try {
    return await waitFor(() => found, 10_000, 100);
  } finally {
    await broker.close();
  }
}
