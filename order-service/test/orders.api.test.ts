import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from '@oip/testkit';
import { Stack, type Account, type Order, type Problem } from './support';

/** The order API through the gateway, with every service real. */
describe('order API', () => {
  const stack = new Stack();
  let customer: Account;

  before(async () => {
    await stack.start();
    customer = await stack.customer();
  });

  after(() => stack.stop());

  describe('placing an order', () => {
    it('When a customer orders, then the order is PENDING with prices from product-service and an exact total', async () => {
      const mug = await stack.product(10, { price: '0.10' });
      const pot = await stack.product(10, { price: '19.99' });

      const answer = await stack.placeOrder(customer.token, [
        { productId: mug.id, quantity: 3 },
        { productId: pot.id, quantity: 3 },
      ]);

      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'PENDING');
      assert.equal(answer.body.customerId, customer.id);
      assert.equal(answer.body.currency, 'EUR');
      // 3 × 0.10 + 3 × 19.99 = 60.27 (a float sum would not be)
      assert.equal(answer.body.total, '60.27');
      assert.deepEqual(
        answer.body.items.map(({ productId, name, unitPrice, quantity, lineTotal }) => ({ productId, name, unitPrice, quantity, lineTotal })),
        [
          { productId: mug.id, name: mug.name, unitPrice: '0.10', quantity: 3, lineTotal: '0.30' },
          { productId: pot.id, name: pot.name, unitPrice: '19.99', quantity: 3, lineTotal: '59.97' },
        ],
      );
      assert.ok(answer.body.id && answer.body.createdAt);
      // The answer is built from the insert's own RETURNING, not read back: it must be what is stored
      // (lines in their order, prices as text, the database's timestamp). The saga may have moved on.
      const stored = await request<Order>('GET', `${stack.api}/orders/${answer.body.id}`, { token: customer.token });
      const settled = ({ id, customerId, items, total, currency, createdAt }: Order) => ({ id, customerId, items, total, currency, createdAt });
      assert.deepEqual(settled(stored.body), settled(answer.body));
    });

    it('When the order is stored, then its order_created event is in the outbox of the same database', async () => {
      const product = await stack.product(5);

      const answer = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      const { rows } = await stack.db.query<{ payload: { data: { customerEmail: string; total: string; items: Array<{ name: string; unitPrice: string }> } } }>(
        `SELECT payload FROM outbox WHERE type = 'order_created' AND payload->>'subject' = $1`,
        [answer.body.id],
      );

      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.payload.data.customerEmail, customer.email);
      assert.equal(rows[0]?.payload.data.total, '12.50');
      assert.deepEqual(rows[0]?.payload.data.items.map((item) => [item.name, item.unitPrice]), [[product.name, '12.50']]);
    });

    it('When the body is invalid, then 400 names each bad field', async () => {
      const cases: Array<{ body: unknown; fields: string[] }> = [
        { body: {}, fields: ['items'] },
        { body: { items: [] }, fields: ['items'] },
        { body: { items: [{ productId: 'abc', quantity: 0 }] }, fields: ['items.0.quantity'] },
        { body: { items: [{ productId: 'abc', quantity: 1001 }] }, fields: ['items.0.quantity'] },
        { body: { items: [{ productId: 'abc', quantity: 1.5 }] }, fields: ['items.0.quantity'] },
        { body: { items: [{ quantity: 1 }] }, fields: ['items.0.productId'] },
        { body: { items: [{ productId: 'abc', quantity: 1 }, { productId: 'abc', quantity: 2 }] }, fields: ['items'] },
        { body: { items: Array.from({ length: 51 }, (_, index) => ({ productId: `p${index}`, quantity: 1 })) }, fields: ['items'] },
        // Prices are the service's business: a client that sends one is told so.
        { body: { items: [{ productId: 'abc', quantity: 1, unitPrice: '0.01' }] }, fields: ['items.0.unitPrice'] },
        { body: { items: [{ productId: 'abc', quantity: 1 }], total: '0.01' }, fields: ['total'] },
      ];
      for (const { body, fields } of cases) {
        const answer = await request<Problem>('POST', `${stack.api}/orders`, { token: customer.token, body });

        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.headers.get('content-type')?.startsWith('application/problem+json'), true);
        assert.deepEqual(Object.keys(answer.body.errors ?? {}).sort(), fields, JSON.stringify(answer.body));
      }
    });

    it('When a product does not exist, then 404 names the line, and no order is made', async () => {
      const product = await stack.product(5);
      const before = await stack.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM orders WHERE customer_id = $1`, [customer.id]);

      const answer = await stack.placeOrder(customer.token, [
        { productId: product.id, quantity: 1 },
        { productId: 'ffffffffffffffffffffffff', quantity: 1 },
      ]);
      const afterwards = await stack.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM orders WHERE customer_id = $1`, [customer.id]);

      assert.equal(answer.status, 404, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'ORDER.PRODUCT_NOT_FOUND');
      assert.deepEqual(Object.keys(answer.body.errors ?? {}), ['items.1.productId']);
      assert.equal(afterwards.rows[0]?.count, before.rows[0]?.count);
    });

    it('When a product was deleted, then ordering it fails with a problem, not an order', async () => {
      const product = await stack.product(5);
      assert.equal((await request('DELETE', `${stack.api}/products/${product.id}`, { token: stack.admin.token })).status, 204);

      const asCustomer = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      // An admin sees inactive products at product-service, so the order-service tells them why.
      const asAdmin = await stack.placeOrder(stack.admin.token, [{ productId: product.id, quantity: 1 }]);

      assert.equal(asCustomer.status, 404);
      assert.equal(asAdmin.status, 409);
      assert.equal(asAdmin.body.code, 'ORDER.PRODUCT_INACTIVE');
    });

    it('When products are priced in different currencies, then 400', async () => {
      const euro = await stack.product(5, { currency: 'EUR' });
      const dollar = await stack.product(5, { currency: 'USD' });

      const answer = await stack.placeOrder(customer.token, [
        { productId: euro.id, quantity: 1 },
        { productId: dollar.id, quantity: 1 },
      ]);

      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'ORDER.MIXED_CURRENCIES');
    });

    it('When no token is sent, then 401', async () => {
      const answer = await request<Problem>('POST', `${stack.api}/orders`, { body: { items: [{ productId: 'abc', quantity: 1 }] } });

      assert.equal(answer.status, 401);
    });

    it('When product-service is down, then 503 problem at once, and orders work again once it is back', async () => {
      const product = await stack.product(5);
      await stack.process('product-service').stop();
      try {
        const started = Date.now();
        const answer = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);

        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body.code, 'ORDER.CATALOGUE_UNAVAILABLE');
        assert.ok(Date.now() - started < 5_000);
      } finally {
        await stack.startOne('product-service');
      }
      const again = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      assert.equal(again.status, 201, JSON.stringify(again.body));
    });
  });

  describe('with the product cache on (PRODUCT_CACHE_MS)', () => {
    before(async () => {
      await stack.process('order-service').stop();
      await stack.startOne('order-service', { PRODUCT_CACHE_MS: '60000' });
    });

    after(async () => {
      await stack.process('order-service').stop();
      await stack.startOne('order-service');
    });

    it('When a product was priced moments ago, then it prices orders from the cache even with product-service down; others answer 503', async () => {
      const product = await stack.product(5);
      const first = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      await stack.process('product-service').stop();
      try {
        const cached = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
        const uncached = await stack.placeOrder(customer.token, [{ productId: 'ffffffffffffffffffffffff', quantity: 1 }]);

        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.equal(cached.status, 201, JSON.stringify(cached.body));
        const line = (order: typeof first.body) => order.items.map(({ productId, name, unitPrice }) => ({ productId, name, unitPrice }));
        assert.deepEqual(line(cached.body), line(first.body));
        assert.equal(uncached.status, 503);
      } finally {
        await stack.startOne('product-service');
      }
    });
  });

  describe('a product-service that does not answer', () => {
    let hanging: Server;
    const held: ServerResponse[] = [];

    let deregister: () => Promise<void>;

    before(async () => {
      // Accepts every connection and never answers; registered as the only product-service instance.
      hanging = createServer((_req, res) => void held.push(res));
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
      const { port } = hanging.address() as AddressInfo;
      await stack.process('product-service').stop();
      deregister = await stack.registerInstance('product-service', `http://127.0.0.1:${port}`);
      await stack.process('order-service').stop();
      await stack.startOne('order-service', { PRODUCT_LOOKUP_TIMEOUT_MS: '500' });
    });

    after(async () => {
      await deregister();
      await stack.startOne('product-service');
      await stack.process('order-service').stop();
      await stack.startOne('order-service');
      for (const res of held) res.destroy();
      await new Promise((resolve) => hanging.close(resolve));
    });

    it('When a product lookup times out, then 503 problem after the timeout, not a hang', async () => {
      const started = Date.now();

      const answer = await stack.placeOrder(customer.token, [{ productId: 'ffffffffffffffffffffffff', quantity: 1 }]);

      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'ORDER.CATALOGUE_UNAVAILABLE');
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    });
  });

  describe('Idempotency-Key', () => {
    it('When the same key is sent again, then the same order is answered and no second one is made', async () => {
      const product = await stack.product(5);
      const key = randomUUID();
      const items = [{ productId: product.id, quantity: 2 }];

      const first = await stack.placeOrder(customer.token, items, { 'idempotency-key': key });
      const second = await stack.placeOrder(customer.token, items, { 'idempotency-key': key });
      const { rows } = await stack.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM orders WHERE customer_id = $1 AND idempotency_key = $2`, [customer.id, key]);
      const events = await stack.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM outbox WHERE type = 'order_created' AND payload->>'subject' = $1`, [first.body.id]);

      assert.equal(first.status, 201);
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.body.id, first.body.id);
      assert.equal(rows[0]?.count, 1);
      assert.equal(events.rows[0]?.count, 1);
    });

    it('When the same key is sent by concurrent requests, then exactly one order is made and all answer it', async () => {
      const product = await stack.product(50);
      const key = randomUUID();

      const answers = await Promise.all(Array.from({ length: 8 }, () => stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }], { 'idempotency-key': key })));

      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(answers.map((answer) => answer.body.id)).size, 1);
    });

    it('When another customer uses the same key, then they get their own order', async () => {
      const product = await stack.product(5);
      const other = await stack.customer();
      const key = randomUUID();

      const mine = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }], { 'idempotency-key': key });
      const theirs = await stack.placeOrder(other.token, [{ productId: product.id, quantity: 1 }], { 'idempotency-key': key });

      assert.equal(mine.status, 201);
      assert.equal(theirs.status, 201);
      assert.notEqual(mine.body.id, theirs.body.id);
    });

    it('When a key is reused with other items, then 409', async () => {
      const product = await stack.product(5);
      const key = randomUUID();
      await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }], { 'idempotency-key': key });

      const answer = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }], { 'idempotency-key': key });

      assert.equal(answer.status, 409);
      assert.equal(answer.body.code, 'ORDER.IDEMPOTENCY_KEY_REUSED');
    });
  });

  describe('reading orders', () => {
    it('When another customer asks for my order, then 403; an unknown id is 404; an admin may read it', async () => {
      const product = await stack.product(5);
      const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      const other = await stack.customer();

      const theirs = await request<Problem>('GET', `${stack.api}/orders/${placed.body.id}`, { token: other.token });
      const unknown = await request<Problem>('GET', `${stack.api}/orders/${randomUUID()}`, { token: customer.token });
      const malformed = await request<Problem>('GET', `${stack.api}/orders/not-a-uuid`, { token: customer.token });
      const admin = await request<Order>('GET', `${stack.api}/orders/${placed.body.id}`, { token: stack.admin.token });

      assert.equal(theirs.status, 403);
      assert.equal(unknown.status, 404);
      assert.equal(malformed.status, 400);
      assert.equal(admin.status, 200);
      assert.equal(admin.body.id, placed.body.id);
    });

    it('When customers list orders, then each sees only their own, paginated; an admin sees all and filters', async () => {
      const product = await stack.product(20);
      const ann = await stack.customer();
      const bob = await stack.customer();
      for (let index = 0; index < 3; index += 1) await stack.placeOrder(ann.token, [{ productId: product.id, quantity: 1 }]);
      await stack.placeOrder(bob.token, [{ productId: product.id, quantity: 1 }]);

      const annPage = await request<{ items: Order[]; page: number; limit: number; total: number }>('GET', `${stack.api}/orders?limit=2`, { token: ann.token });
      const annSecond = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders?limit=2&page=2`, { token: ann.token });
      const annPeeks = await request<Problem>('GET', `${stack.api}/orders?customerId=${bob.id}`, { token: ann.token });
      const byCustomer = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders/customer/${ann.id}`, { token: ann.token });
      const bobPeeks = await request<Problem>('GET', `${stack.api}/orders/customer/${ann.id}`, { token: bob.token });
      const adminView = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders?customerId=${bob.id}`, { token: stack.admin.token });
      const adminCustomer = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders/customer/${ann.id}`, { token: stack.admin.token });
      const badStatus = await request<Problem>('GET', `${stack.api}/orders?status=LOST`, { token: ann.token });

      assert.equal(annPage.status, 200);
      assert.equal(annPage.body.total, 3);
      assert.equal(annPage.body.items.length, 2);
      assert.equal(annPage.body.page, 1);
      assert.equal(annPage.body.limit, 2);
      assert.equal(annSecond.body.items.length, 1);
      assert.ok(annPage.body.items.every((order) => order.customerId === ann.id));
      assert.equal(annPeeks.status, 403);
      assert.equal(byCustomer.body.total, 3);
      assert.equal(bobPeeks.status, 403);
      assert.equal(adminView.body.total, 1);
      assert.equal(adminView.body.items[0]?.customerId, bob.id);
      assert.equal(adminCustomer.body.total, 3);
      assert.equal(badStatus.status, 400);
    });

    it('When an admin filters by status, then only orders in that status come back', async () => {
      const product = await stack.product(5);
      const buyer = await stack.customer();
      const placed = await stack.placeOrder(buyer.token, [{ productId: product.id, quantity: 1 }]);
      await stack.settled(placed.body.id);

      const confirmed = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders?customerId=${buyer.id}&status=CONFIRMED`, { token: stack.admin.token });
      const pending = await request<{ items: Order[]; total: number }>('GET', `${stack.api}/orders?customerId=${buyer.id}&status=PENDING`, { token: stack.admin.token });

      assert.deepEqual(confirmed.body.items.map((order) => order.id), [placed.body.id]);
      assert.equal(pending.body.total, 0);
    });
  });

  describe('status events (GET /orders/:id/events)', () => {
    /** Reads a server-sent event stream to its end; the `data` of each `status` event, parsed. */
    async function readStream(url: string, token: string): Promise<{ status: number; contentType: string; events: Order[] }> {
      const answer = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: AbortSignal.timeout(30_000) });
      const text = await answer.text();
      const events = text
        .split('\n\n')
        .filter((block) => block.startsWith('event: status'))
        .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Order);
      return { status: answer.status, contentType: answer.headers.get('content-type') ?? '', events };
    }

    it('When an order is rejected while its owner listens, then the stream sends each status with the short line and ends by itself', async () => {
      const scarce = await stack.product(1);
      const placed = await stack.placeOrder(customer.token, [{ productId: scarce.id, quantity: 2 }]);
      assert.equal(placed.status, 201, JSON.stringify(placed.body));

      // text() resolves only because the service ends the stream after REJECTED.
      const { status, contentType, events } = await readStream(`${stack.api}/orders/${placed.body.id}/events`, customer.token);

      assert.equal(status, 200);
      assert.match(contentType, /^text\/event-stream/);
      assert.equal(events.at(-1)?.status, 'REJECTED');
      assert.ok(events.every((event, i) => i === 0 || event.version > (events[i - 1]?.version ?? 0)), 'one event per change');
      assert.deepEqual(events.at(-1)?.rejection?.shortItems, [{ productId: scarce.id, name: scarce.name, requested: 2, available: 1 }]);
      const reread = await stack.order(placed.body.id);
      assert.equal(reread.rejection?.reason, events.at(-1)?.rejection?.reason);
    });

    it('When an instance serving a stream is stopped, then the stream ends and the instance exits cleanly instead of waiting for the client', async () => {
      const product = await stack.product(5);
      const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      await stack.settled(placed.body.id);
      const replica = await stack.startReplica('order-service', { SHUTDOWN_TIMEOUT_MS: '8000' });
      const answer = await fetch(`${replica.url}/orders/${placed.body.id}/events`, { headers: { authorization: `Bearer ${customer.token}` } });
      assert.equal(answer.status, 200);
      const body = answer.text();

      const code = await replica.stop();

      assert.equal(code, 0, `order-service exited with ${code} (1 = the shutdown timed out on the open stream)`);
      assert.match(await body, /"status":"CONFIRMED"/);
    });

    it('When another customer asks for the stream, then 403; an unknown order is 404; both as problems', async () => {
      const product = await stack.product(5);
      const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      const stranger = await stack.customer();

      const refused = await request<Problem>('GET', `${stack.api}/orders/${placed.body.id}/events`, { token: stranger.token });
      const missing = await request<Problem>('GET', `${stack.api}/orders/${randomUUID()}/events`, { token: customer.token });

      assert.equal(refused.status, 403);
      assert.equal(missing.status, 404);
      assert.ok(refused.body.code && missing.body.code);
    });
  });

  describe('status changes', () => {
    const confirmedOrder = async (owner: Account): Promise<Order> => {
      const product = await stack.product(5);
      const placed = await stack.placeOrder(owner.token, [{ productId: product.id, quantity: 1 }]);
      assert.equal(placed.status, 201);
      return stack.settled(placed.body.id, ['CONFIRMED']);
    };
    const setStatus = (token: string, id: string, status: string) => request<Order & Problem>('PUT', `${stack.api}/orders/${id}/status`, { token, body: { status } });

    it('When a customer tries to ship their own order, then 403', async () => {
      const order = await confirmedOrder(customer);

      const answer = await setStatus(customer.token, order.id, 'SHIPPED');

      assert.equal(answer.status, 403);
      assert.equal((await stack.order(order.id)).status, 'CONFIRMED');
    });

    it('When an admin ships and delivers, then each step is taken once and the version grows', async () => {
      const order = await confirmedOrder(customer);

      const shipped = await setStatus(stack.admin.token, order.id, 'SHIPPED');
      const delivered = await setStatus(stack.admin.token, order.id, 'DELIVERED');

      assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
      assert.equal(shipped.body.status, 'SHIPPED');
      assert.equal(delivered.body.status, 'DELIVERED');
      assert.equal(delivered.body.version, order.version + 2);
    });

    it('When a change is not in the lifecycle, then 409 and the order is unchanged', async () => {
      const order = await confirmedOrder(customer);

      const confirmAgain = await setStatus(stack.admin.token, order.id, 'CONFIRMED');
      const deliverUnshipped = await setStatus(stack.admin.token, order.id, 'DELIVERED');
      const backToPending = await setStatus(stack.admin.token, order.id, 'PENDING');
      const unknown = await setStatus(stack.admin.token, order.id, 'LOST');
      await setStatus(stack.admin.token, order.id, 'SHIPPED');
      const cancelShipped = await request<Problem>('POST', `${stack.api}/orders/${order.id}/cancel`, { token: customer.token });

      assert.equal(confirmAgain.status, 409);
      assert.equal(confirmAgain.body.code, 'ORDER.ILLEGAL_TRANSITION');
      assert.equal(deliverUnshipped.status, 409);
      assert.equal(backToPending.status, 409);
      assert.equal(unknown.status, 400);
      assert.equal(cancelShipped.status, 409);
      assert.equal((await stack.order(order.id)).status, 'SHIPPED');
    });

    it('When another customer cancels my order, then 403; when I cancel it twice, then 200 and 409', async () => {
      const order = await confirmedOrder(customer);
      const other = await stack.customer();

      const theirs = await request<Problem>('POST', `${stack.api}/orders/${order.id}/cancel`, { token: other.token });
      const mine = await request<Order>('POST', `${stack.api}/orders/${order.id}/cancel`, { token: customer.token });
      const again = await request<Problem>('POST', `${stack.api}/orders/${order.id}/cancel`, { token: customer.token });

      assert.equal(theirs.status, 403);
      assert.equal(mine.status, 200);
      assert.equal(mine.body.status, 'CANCELLED');
      assert.equal(again.status, 409);
    });

    it('When ship and cancel race for one order, then exactly one wins and the other gets 409', async () => {
      const order = await confirmedOrder(customer);

      const [ship, cancel] = await Promise.all([
        setStatus(stack.admin.token, order.id, 'SHIPPED'),
        request<Problem>('POST', `${stack.api}/orders/${order.id}/cancel`, { token: customer.token }),
      ]);
      const final = await stack.order(order.id);
      const events = await stack.db.query<{ type: string }>(`SELECT type FROM outbox WHERE payload->>'subject' = $1 AND type IN ('order_shipped', 'order_cancelled')`, [order.id]);

      assert.deepEqual([ship.status, cancel.status].sort(), [200, 409]);
      assert.equal(final.status, ship.status === 200 ? 'SHIPPED' : 'CANCELLED');
      assert.equal(final.version, order.version + 1);
      assert.equal(events.rows.length, 1);
    });
  });
});
