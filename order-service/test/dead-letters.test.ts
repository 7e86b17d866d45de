import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BrokerConnection, createLogger } from '@oip/platform';
import { request, testInfra, waitFor } from '@oip/testkit';
import { Stack, type Account } from './support';

type DeadLetter = { service: string; messageId: string; type: string | null; queue: string; error: string | null; attempts: number | null; event: { subject?: string; data?: { orderId?: string } } | string };
type Listing = { items: DeadLetter[]; services: Array<{ name: string; status: string; total: number | null }> };

const CONSUMING = ['inventory-service', 'order-service', 'notification-service'];

/**
 * The dead-letter admin API end to end: an order whose stock_reserved order-service could not
 * record (a real PostgreSQL error, from a trigger that refuses the customer's order rows) stays
 * PENDING with the event in order-service's DLQ; the operator sees it through the gateway, fixes
 * the cause, replays it, and the order is CONFIRMED. Retries are fast and few, so it lands there
 * within a second.
 */
describe('dead letters through the gateway', () => {
  const stack = new Stack({ 'order-service': { RABBITMQ_MAX_RETRIES: '1' } });
  let customer: Account;
  const triggers: string[] = [];

  before(async () => {
    await stack.start();
    customer = await stack.customer();
    await stack.db.query(`CREATE OR REPLACE FUNCTION dead_letter_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'order % is frozen by the dead-letter test', OLD.id; END $$`);
  });

  after(async () => {
    for (const trigger of triggers) await stack.db.query(`DROP TRIGGER IF EXISTS ${trigger} ON orders`).catch(() => undefined);
    await stack.stop();
  });

  /** From now on every change to this customer's orders fails in PostgreSQL; the answer undoes it. */
  async function freezeOrdersOf(customerId: string): Promise<() => Promise<void>> {
    const trigger = `dead_letter_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    triggers.push(trigger);
    await stack.db.query(`CREATE TRIGGER ${trigger} BEFORE UPDATE ON orders FOR EACH ROW WHEN (OLD.customer_id = '${customerId}') EXECUTE FUNCTION dead_letter_test_refuse()`);
    return async () => {
      await stack.db.query(`DROP TRIGGER ${trigger} ON orders`);
    };
  }

  const list = (token = stack.admin.token) => request<Listing>('GET', `${stack.api}/admin/dead-letters?limit=500`, { token });

  /** Waits until the order's stock_reserved is in order-service's DLQ, as the gateway lists it. */
  const deadLetterOf = (orderId: string): Promise<DeadLetter> =>
    waitFor(async () => {
      const answer = await list();
      return answer.body.items.find((item) => item.service === 'order-service' && typeof item.event === 'object' && item.event.subject === orderId);
    }, 20_000, 200);

  /** A product with stock, made through the gateway with the routes that create and set it. */
  async function stockedProduct(quantity: number): Promise<string> {
    const created = await request<{ id: string }>('POST', `${stack.api}/products`, { token: stack.admin.token, body: { name: 'Dead letter mug', price: '5.00', sku: `DL-${randomUUID().slice(0, 12)}` } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const stocked = await request<{ onHand: number }>('POST', `${stack.api}/inventory`, { token: stack.admin.token, body: { productId: created.body.id, quantity } });
    assert.equal(stocked.status, 200, JSON.stringify(stocked.body));
    assert.equal(stocked.body.onHand, quantity);
    return created.body.id;
  }

  it('When order-service cannot record a reservation, then the event is listed with its error; after the fix a replay confirms the order', async () => {
    const productId = await stockedProduct(5);
    const unfreeze = await freezeOrdersOf(customer.id);
    const placed = await stack.placeOrder(customer.token, [{ productId, quantity: 2 }]);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));

    const dead = await deadLetterOf(placed.body.id);
    const stuck = await stack.order(placed.body.id);
    await unfreeze();
    const replayed = await request<DeadLetter>('POST', `${stack.api}/admin/dead-letters/order-service/${dead.messageId}/replay`, { token: stack.admin.token });
    const confirmed = await stack.settled(placed.body.id, ['CONFIRMED'], 20_000);
    const after = await list();

    assert.deepEqual({ type: dead.type, queue: dead.queue, attempts: dead.attempts }, { type: 'stock_reserved', queue: 'order-service', attempts: 2 });
    assert.match(dead.error ?? '', /is frozen by the dead-letter test/);
    assert.equal(stuck.status, 'PENDING');
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.body.service, 'order-service');
    assert.equal(confirmed.status, 'CONFIRMED');
    assert.ok(!after.body.items.some((item) => item.messageId === dead.messageId));
    assert.deepEqual(after.body.services.map((service) => [service.name, service.status]).sort(), CONSUMING.map((name) => [name, 'ok']).sort());
  });

  it('When a dead letter is discarded, then it is gone and its order stays PENDING', async () => {
    const other = await stack.customer();
    const productId = await stockedProduct(5);
    const unfreeze = await freezeOrdersOf(other.id);
    const placed = await stack.placeOrder(other.token, [{ productId, quantity: 1 }]);
    const dead = await deadLetterOf(placed.body.id);
    await unfreeze();

    const discarded = await request<DeadLetter>('POST', `${stack.api}/admin/dead-letters/order-service/${dead.messageId}/discard`, { token: stack.admin.token });
    const again = await request('POST', `${stack.api}/admin/dead-letters/order-service/${dead.messageId}/replay`, { token: stack.admin.token });
    const after = await list();

    assert.equal(discarded.status, 200, JSON.stringify(discarded.body));
    assert.equal(again.status, 404);
    assert.ok(!after.body.items.some((item) => item.messageId === dead.messageId));
    assert.equal((await stack.order(placed.body.id)).status, 'PENDING');
  });

  it('When an Express service dead-letters a malformed message, then the gateway lists it under that service and discards it there', async () => {
    const body = `not an event ${randomUUID()}`;
    const broker = new BrokerConnection(testInfra().rabbitmqUrl, createLogger('dead-letters-test', 'error'), { name: 'dead-letters-test' });
    broker.start();
    try {
      await broker.whenConnected(20_000);
      await broker.withChannel(
        (channel) => new Promise<void>((resolve, reject) => channel.sendToQueue('inventory-service', Buffer.from(body), { persistent: true }, (error) => (error ? reject(error as Error) : resolve()))),
      );
    } finally {
      await broker.close();
    }
    const dead = await waitFor(async () => (await list()).body.items.find((item) => item.event === body), 20_000, 200);

    const discarded = await request('POST', `${stack.api}/admin/dead-letters/inventory-service/${dead.messageId}/discard`, { token: stack.admin.token });

    assert.deepEqual([dead.service, dead.queue, dead.error], ['inventory-service', 'inventory-service', 'not JSON']);
    assert.equal(discarded.status, 200);
    assert.ok(!(await list()).body.items.some((item) => item.messageId === dead.messageId));
  });

  it('When a customer asks, then 403 at the gateway and at each service; an unknown id or service is 404', async () => {
    const asCustomer = await list(customer.token);
    const replayAsCustomer = await request('POST', `${stack.api}/admin/dead-letters/order-service/${randomUUID()}/replay`, { token: customer.token });
    const direct = await Promise.all(CONSUMING.map((service) => request('GET', `${stack.url(service as 'order-service')}/admin/dead-letters`, { token: customer.token })));
    const unknownId = await request<{ code: string }>('POST', `${stack.api}/admin/dead-letters/inventory-service/${randomUUID()}/discard`, { token: stack.admin.token });
    const unknownService = await request<{ code: string }>('POST', `${stack.api}/admin/dead-letters/product-service/${randomUUID()}/replay`, { token: stack.admin.token });

    assert.equal(asCustomer.status, 403);
    assert.equal(replayAsCustomer.status, 403);
    assert.deepEqual(direct.map((answer) => answer.status), [403, 403, 403]);
    assert.deepEqual([unknownId.status, unknownId.body.code], [404, 'DEAD_LETTER.NOT_FOUND']);
    assert.deepEqual([unknownService.status, unknownService.body.code], [404, 'DEAD_LETTER.UNKNOWN_SERVICE']);
  });

  it('When a product is replaced with PUT through the gateway, then the catalogue answers the new fields', async () => {
    const productId = await stockedProduct(1);

    const replaced = await request<{ name: string; price: string; active: boolean }>('PUT', `${stack.api}/products/${productId}`, {
      token: stack.admin.token,
      body: { name: 'Replaced mug', description: '', price: '6.00', currency: 'EUR', category: 'kitchen', active: true },
    });
    const asCustomer = await request('PUT', `${stack.api}/products/${productId}`, { token: customer.token, body: { name: 'x', description: '', price: '1.00', currency: 'EUR', category: 'x', active: true } });

    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.deepEqual([replaced.body.name, replaced.body.price], ['Replaced mug', '6.00']);
    assert.equal(asCustomer.status, 403);
  });
});

