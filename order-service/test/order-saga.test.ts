import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CloudEvent } from '@oip/contracts';
import { faultSkip, mailbox, request, testInfra, waitFor } from '@oip/testkit';
import { Stack, TestPublisher, type Account, type Order } from './support';

const mail = mailbox();
/** The e-mails about one order (the customer also got a welcome e-mail when registering). */
const mailsAbout = async (customer: Account, orderId: string) => (await mail.messagesTo(customer.email)).filter((message) => message.subject.includes(orderId));

/** The saga end to end: order-service, inventory-service and notification-service talking over RabbitMQ. */
describe('the order saga', () => {
  const stack = new Stack();
  let customer: Account;

  before(async () => {
    await stack.start();
    customer = await stack.customer();
  });

  after(() => stack.stop());

  it('When a customer orders what is in stock, then the order is CONFIRMED, the stock held, and both steps are notified and e-mailed', async () => {
    const product = await stack.product(5);

    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    const order = await stack.settled(placed.body.id, ['CONFIRMED', 'REJECTED'], 15_000);
    const stock = await stack.stock(product.id);
    const notifications = await stack.waitForNotifications(customer, (items) => {
      const mine = items.filter((item) => item.orderId === order.id);
      return mine.length === 2 && mine.every((item) => item.status === 'sent');
    });
    const mails = await waitFor(async () => {
      const found = await mailsAbout(customer, order.id);
      return found.length >= 2 ? found : undefined;
    });

    assert.equal(placed.status, 201);
    assert.equal(order.status, 'CONFIRMED');
    assert.equal(order.stockOutcome, 'RESERVED');
    assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 5, reserved: 2, available: 3 });
    assert.deepEqual(stock.holds.map((hold) => [hold.reference, hold.quantity]), [[order.id, 2]]);
    assert.deepEqual(notifications.filter((item) => item.orderId === order.id).map((item) => item.type).sort(), ['order_confirmed', 'order_created']);
    assert.equal(mails.length, 2);
    assert.ok(mails.some((message) => /received/i.test(message.subject)));
    assert.ok(mails.some((message) => /confirmed/i.test(message.subject)));
  });

  it('When there is not enough stock, then the order is REJECTED, the stock is unchanged, and the notice names the short item', async () => {
    const product = await stack.product(1, { name: `Scarce lamp ${Date.now()}` });

    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 3 }]);
    const order = await stack.settled(placed.body.id);
    const stock = await stack.stock(product.id);
    const [rejection] = await waitFor(async () => {
      const found = (await mailsAbout(customer, order.id)).filter((message) => /could not/i.test(message.subject));
      return found.length > 0 ? found : undefined;
    });
    const notifications = await stack.waitForNotifications(customer, (items) => items.some((item) => item.orderId === order.id && item.type === 'order_rejected'));

    assert.equal(order.status, 'REJECTED');
    assert.equal(order.stockOutcome, 'REJECTED');
    assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 1, reserved: 0, available: 1 });
    assert.ok(rejection?.text.includes(product.name), rejection?.text);
    assert.ok(rejection?.text.includes('requested 3, available 1'), rejection?.text);
    assert.ok(notifications.some((item) => item.orderId === order.id && item.type === 'order_rejected'));
  });

  it('When one of two items is short, then nothing of either is reserved', async () => {
    const plenty = await stack.product(5);
    const scarce = await stack.product(1);

    const placed = await stack.placeOrder(customer.token, [
      { productId: plenty.id, quantity: 2 },
      { productId: scarce.id, quantity: 3 },
    ]);
    const order = await stack.settled(placed.body.id);

    assert.equal(order.status, 'REJECTED');
    for (const [product, onHand] of [[plenty, 5], [scarce, 1]] as const) {
      const stock = await stack.stock(product.id);
      assert.deepEqual({ reserved: stock.reserved, available: stock.available, holds: stock.holds.length }, { reserved: 0, available: onHand, holds: 0 }, product.id);
    }
  });

  it('When a CONFIRMED order is cancelled, then its hold is released and the customer told', async () => {
    const product = await stack.product(5);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    await stack.settled(placed.body.id, ['CONFIRMED']);

    const cancelled = await request<Order>('POST', `${stack.api}/orders/${placed.body.id}/cancel`, { token: customer.token });
    const stock = await waitFor(async () => {
      const current = await stack.stock(product.id);
      return current.reserved === 0 ? current : undefined;
    });
    await stack.waitForNotifications(customer, (items) => items.some((item) => item.orderId === placed.body.id && item.type === 'order_cancelled'));

    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'CANCELLED');
    assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 5, reserved: 0, available: 5 });
  });

  it('When a CONFIRMED order is shipped, then its hold becomes a deduction: on hand and reserved both go down', async () => {
    const product = await stack.product(5);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    await stack.settled(placed.body.id, ['CONFIRMED']);

    const shipped = await request<Order>('PUT', `${stack.api}/orders/${placed.body.id}/status`, { token: stack.admin.token, body: { status: 'SHIPPED' } });
    const stock = await waitFor(async () => {
      const current = await stack.stock(product.id);
      return current.onHand === 3 ? current : undefined;
    });
    await stack.waitForNotifications(customer, (items) => items.some((item) => item.orderId === placed.body.id && item.type === 'order_shipped'));

    assert.equal(shipped.status, 200);
    assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 3, reserved: 0, available: 3 });
  });

  it('When orders are cancelled while inventory is still reserving, then no hold is left behind and each cancellation is told once', async () => {
    const product = await stack.product(20);
    const buyer = await stack.customer();
    const handled = { type: 'order_cancelled', outcome: 'processed' };
    const handledBefore = await stack.counter('notification-service', 'events_consumed_total', handled);

    // Cancel right after placing: the cancellation may land before or after inventory's answer.
    const ids = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const placed = await stack.placeOrder(buyer.token, [{ productId: product.id, quantity: 2 }]);
        const cancelled = await request<Order>('POST', `${stack.api}/orders/${placed.body.id}/cancel`, { token: buyer.token });
        assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
        return placed.body.id;
      }),
    );
    const stock = await waitFor(async () => {
      const current = await stack.stock(product.id);
      return current.reserved === 0 ? current : undefined;
    }, 20_000);
    const notices = await stack.waitForNotifications(buyer, (items) => items.filter((item) => item.type === 'order_cancelled').length >= 5);
    // Settled: every order_cancelled order-service wrote about these orders is published, and
    // notification-service has handled as many — a second notice could only come from another one.
    const cancellations = await waitFor(async () => {
      const { rows } = await stack.db.query<{ sent: boolean }>(`SELECT sent_at IS NOT NULL AS sent FROM outbox WHERE type = 'order_cancelled' AND payload->>'subject' = ANY($1)`, [ids]);
      return rows.length >= ids.length && rows.every((row) => row.sent) ? rows.length : undefined;
    }, 20_000, 100);
    await waitFor(async () => ((await stack.counter('notification-service', 'events_consumed_total', handled)) >= handledBefore + cancellations ? true : undefined), 20_000, 100);
    const afterwards = await stack.notifications(buyer);

    assert.deepEqual({ reserved: stock.reserved, available: stock.available, holds: stock.holds.length }, { reserved: 0, available: 20, holds: 0 });
    for (const id of ids) assert.equal((await stack.order(id)).status, 'CANCELLED');
    assert.equal(cancellations, 5, 'one order_cancelled per order');
    assert.equal(notices.filter((item) => item.type === 'order_cancelled').length, 5);
    assert.equal(afterwards.filter((item) => item.type === 'order_cancelled').length, 5);
  });

  it('When 100 orders of one unit race for 10 in stock, then exactly 10 are CONFIRMED and 90 REJECTED', async () => {
    const product = await stack.product(10);
    const buyers = await Promise.all(Array.from({ length: 4 }, () => stack.customer()));

    const placed = await Promise.all(Array.from({ length: 100 }, (_, index) => stack.placeOrder((buyers[index % buyers.length] as Account).token, [{ productId: product.id, quantity: 1 }])));
    assert.deepEqual([...new Set(placed.map((answer) => answer.status))], [201], JSON.stringify(placed.filter((answer) => answer.status !== 201).map((answer) => answer.body)));
    const orders = await Promise.all(placed.map((answer) => stack.settled(answer.body.id, ['CONFIRMED', 'REJECTED'], 90_000)));
    const stock = await stack.stock(product.id);

    assert.equal(orders.filter((order) => order.status === 'CONFIRMED').length, 10);
    assert.equal(orders.filter((order) => order.status === 'REJECTED').length, 90);
    assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 10, reserved: 10, available: 0 });
    assert.deepEqual(
      stock.holds.map((hold) => hold.reference).sort(),
      orders.filter((order) => order.status === 'CONFIRMED').map((order) => order.id).sort(),
    );
  });

  it('When the same order_created reaches the broker 5 more times, then there is one reservation, one confirmation and one e-mail of each', async () => {
    const publisher = new TestPublisher();
    await publisher.start();
    try {
      const product = await stack.product(10);
      const buyer = await stack.customer();
      const placed = await stack.placeOrder(buyer.token, [{ productId: product.id, quantity: 3 }]);
      await stack.settled(placed.body.id, ['CONFIRMED']);
      await waitFor(async () => ((await mailsAbout(buyer, placed.body.id)).length >= 2 ? true : undefined));
      const { rows } = await stack.db.query<{ payload: CloudEvent }>(`SELECT payload FROM outbox WHERE type = 'order_created' AND payload->>'subject' = $1`, [placed.body.id]);
      const event = rows[0]?.payload;
      assert.ok(event);
      const duplicates = { type: 'order_created', outcome: 'duplicate' };
      const inventoryBefore = await stack.counter('inventory-service', 'events_consumed_total', duplicates);
      // notification-service keeps no per-event record (its unique key decides), so every copy counts as handled.
      const handled = { type: 'order_created', outcome: 'processed' };
      const notificationBefore = await stack.counter('notification-service', 'events_consumed_total', handled);

      for (let copy = 0; copy < 5; copy += 1) await publisher.publish(event);
      await waitFor(async () => ((await stack.counter('inventory-service', 'events_consumed_total', duplicates)) >= inventoryBefore + 5 ? true : undefined), 20_000, 200);
      await waitFor(async () => ((await stack.counter('notification-service', 'events_consumed_total', handled)) >= notificationBefore + 5 ? true : undefined), 20_000, 200);

      const stock = await stack.stock(product.id);
      const order = await stack.order(placed.body.id);
      const notifications = (await stack.notifications(buyer)).filter((item) => item.orderId === placed.body.id);
      const mails = await mailsAbout(buyer, placed.body.id);
      const { rows: confirmations } = await stack.db.query(`SELECT 1 FROM outbox WHERE type = 'order_confirmed' AND payload->>'subject' = $1`, [placed.body.id]);

      assert.deepEqual({ onHand: stock.onHand, reserved: stock.reserved, available: stock.available }, { onHand: 10, reserved: 3, available: 7 });
      assert.deepEqual(stock.holds.map((hold) => [hold.reference, hold.quantity]), [[placed.body.id, 3]]);
      assert.equal(order.status, 'CONFIRMED');
      assert.equal(order.version, 2);
      assert.equal(confirmations.length, 1);
      assert.deepEqual(notifications.map((item) => item.type).sort(), ['order_confirmed', 'order_created']);
      assert.equal(mails.length, 2);
    } finally {
      await publisher.close();
    }
  });

  describe('when parts of the platform fail while orders flow', () => {
    /** Every order ends CONFIRMED or REJECTED, and inventory's books agree with the orders. */
    const assertConsistent = async (productId: string, onHand: number, orderIds: string[]): Promise<Order[]> => {
      const orders = await Promise.all(orderIds.map((id) => stack.settled(id, ['CONFIRMED', 'REJECTED'], 120_000)));
      const confirmed = orders.filter((order) => order.status === 'CONFIRMED');
      const stock = await waitFor(() => stack.stock(productId).catch(() => undefined), 30_000);

      assert.equal(stock.onHand, onHand);
      assert.equal(stock.onHand - stock.reserved, stock.available);
      assert.equal(stock.reserved, confirmed.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0));
      assert.deepEqual(stock.holds.map((hold) => hold.reference).sort(), confirmed.map((order) => order.id).sort());
      // Never more held than there was: 1 unit per order, so the first `onHand` answers win.
      assert.equal(confirmed.length, Math.min(onHand, orderIds.length));
      return orders;
    };

    const placeMany = async (buyer: Account, productId: string, count: number): Promise<string[]> => {
      const answers = await Promise.all(Array.from({ length: count }, () => stack.placeOrder(buyer.token, [{ productId, quantity: 1 }])));
      for (const answer of answers) assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answers.map((answer) => answer.body.id);
    };

    it('When inventory-service is killed mid-flow and started again, then every order still ends CONFIRMED or REJECTED and the stock adds up', async () => {
      const product = await stack.product(15);
      const buyer = await stack.customer();
      const ids: string[] = [];

      const flowing = placeMany(buyer, product.id, 10);
      await stack.ordersTaken(buyer, 1);
      await stack.process('inventory-service').kill();
      ids.push(...(await flowing));
      ids.push(...(await placeMany(buyer, product.id, 10)));
      await stack.startOne('inventory-service');

      await assertConsistent(product.id, 15, ids);
    });

    it('When RabbitMQ stops mid-flow and comes back, then every order still ends CONFIRMED or REJECTED and the stock adds up', { skip: faultSkip() }, async () => {
      const infra = testInfra();
      const product = await stack.product(12);
      const buyer = await stack.customer();
      const ids: string[] = [];

      try {
        const flowing = placeMany(buyer, product.id, 8);
        await stack.ordersTaken(buyer, 1);
        await infra.stop('rabbitmq');
        ids.push(...(await flowing));
        // The broker is away, the database is not: orders are still taken, their events wait in the outbox.
        ids.push(...(await placeMany(buyer, product.id, 8)));
      } finally {
        await infra.start('rabbitmq');
      }
      await Promise.all((['order-service', 'inventory-service', 'notification-service'] as const).map((service) => stack.ready(service, 60_000)));

      await assertConsistent(product.id, 12, ids);
    });
  });
});
