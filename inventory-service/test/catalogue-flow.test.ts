import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort, request, startService, startTestIssuer, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { eventHandled, PRODUCT_DB, startInventoryService, stockAppears, TestBroker, type Stock } from './support';

type Listing = { items: Array<Stock & { product: { name: string; price: string; currency: string } | null; productLookup: string }>; total: number };

describe('catalogue and stock together, through the real broker', () => {
  let issuer: TestIssuer;
  let products: ServiceProcess;
  let inventory: ServiceProcess;
  let broker: TestBroker;
  let admin: string;

  before(async () => {
    issuer = await startTestIssuer();
    const infra = testInfra();
    products = await startService('product-service', 'PRODUCT_SERVICE_PORT', {
      ...issuer.env,
      MONGO_URL: infra.mongoUrl,
      PRODUCT_DB_NAME: PRODUCT_DB,
      RABBITMQ_URL: infra.rabbitmqUrl,
      PRODUCT_OUTBOX_POLL_MS: '200',
      LOG_LEVEL: 'warn',
    });
    inventory = await startInventoryService(issuer, { PRODUCT_SERVICE_URL: products.url });
    broker = new TestBroker();
    await broker.start();
    admin = issuer.admin();
  });

  after(async () => {
    await inventory.stop();
    await products.stop();
    await broker.close(['notification-service', 'order-service']);
    await issuer.close();
  });

  const createProduct = async (name: string, price: string): Promise<string> => {
    const answer = await request<{ id: string }>('POST', `${products.url}/products`, { token: admin, body: { name, price, sku: `FLOW-${randomUUID().slice(0, 8)}` } });
    assert.equal(answer.status, 201);
    return answer.body.id;
  };

  it('When a product is created in product-service, then its stock record appears in inventory-service, and is retired when the product is deleted', async () => {
    const productId = await createProduct('Kettle', '45.00');

    const stock = await stockAppears(inventory.url, admin, productId);
    await request('DELETE', `${products.url}/products/${productId}`, { token: admin });
    const retired = await waitFor(async () => {
      const answer = await request<Stock>('GET', `${inventory.url}/inventory/${productId}`, { token: admin });
      return answer.body['active'] === false ? answer.body : undefined;
    });

    assert.equal(stock['productId'], productId);
    assert.equal(stock['name'], 'Kettle');
    assert.equal(retired['active'], false);
  });

  it('When stock is listed, then each item carries its product name and price from product-service', async () => {
    const productId = await createProduct('Toaster', '29.90');
    await stockAppears(inventory.url, admin, productId);

    const listing = await fetchAll(inventory.url, admin);
    const item = listing.find((candidate) => candidate['productId'] === productId);

    assert.ok(item);
    assert.equal(item.productLookup, 'ok');
    assert.deepEqual(item.product && { name: item.product.name, price: item.product.price }, { name: 'Toaster', price: '29.90' });
  });

  it('When product-service is down or too slow, then stock is still listed promptly with product: null and the reason', async () => {
    const productId = await broker.productCreated();
    await stockAppears(inventory.url, admin, productId);
    const slow: Server = createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"late","price":"1.00"}'), 5000);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowPort = (slow.address() as { port: number }).port;
    const down = await startInventoryService(issuer, { PRODUCT_SERVICE_URL: `http://127.0.0.1:${await freePort()}` });
    const slowed = await startInventoryService(issuer, { PRODUCT_SERVICE_URL: `http://127.0.0.1:${slowPort}`, INVENTORY_PRODUCT_TIMEOUT_MS: '300' });
    try {
      const fromDown = await request<Listing>('GET', `${down.url}/inventory?limit=5`, { token: admin });
      const started = Date.now();
      const fromSlow = await request<Listing>('GET', `${slowed.url}/inventory?limit=5`, { token: admin });
      const elapsed = Date.now() - started;

      assert.equal(fromDown.status, 200);
      assert.ok(fromDown.body.items.length > 0);
      assert.ok(fromDown.body.items.every((item) => item.product === null && item.productLookup === 'unavailable'));
      assert.equal(fromSlow.status, 200);
      assert.ok(fromSlow.body.items.every((item) => item.product === null && item.productLookup === 'unavailable'));
      assert.ok(elapsed < 2500, `answered in ${elapsed} ms`);
    } finally {
      await down.kill();
      await slowed.kill();
      slow.closeAllConnections();
      slow.close();
    }
  });

  describe('POST /inventory (create or set the stock of a catalogue product)', () => {
    const post = (body: Record<string, unknown>, token = admin, base = inventory.url) => request<Stock & { created: boolean }>('POST', `${base}/inventory`, { token, body });

    it('When an admin posts a quantity for a known product, then its stock is that quantity, whether the record existed or not', async () => {
      const productId = await createProduct('Lamp', '20.00');
      await stockAppears(inventory.url, admin, productId);

      const answer = await post({ productId, quantity: 12, lowStockThreshold: 2 });
      const again = await post({ productId, quantity: 3 });

      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual([answer.body.created, answer.body.onHand, answer.body.available, answer.body['lowStockThreshold']], [false, 12, 12, 2]);
      assert.deepEqual([again.body.created, again.body.onHand], [false, 3]);
    });

    it('When POST races the product_created event (and a redelivery of it), then each product has one record with the posted quantity', async () => {
      const ids = await Promise.all(Array.from({ length: 8 }, (_, index) => createProduct(`Race ${index}`, '1.00')));
      const skus = await Promise.all(ids.map(async (productId) => (await request<{ sku: string }>('GET', `${products.url}/products/${productId}`)).body.sku));

      // product-service's own product_created is on its way; a second copy goes out at the same moment as each POST.
      const raced = await Promise.all(
        ids.map((productId, index) =>
          Promise.all([
            post({ productId, quantity: 10 + index }),
            broker.publish('product_created', { productId, sku: skus[index] ?? '', name: `Race ${index}`, price: '1.00', currency: 'EUR' }, productId, '/product-service'),
          ]),
        ),
      );
      // Only once the copies were handled can the result show that a late event left the quantity alone.
      await Promise.all(raced.map(([, eventId]) => eventHandled(eventId)));

      for (const [index, productId] of ids.entries()) {
        const [answer] = raced[index] ?? [];
        assert.equal(answer?.status, 200, JSON.stringify(answer?.body));
        const stock = (await request<Stock>('GET', `${inventory.url}/inventory/${productId}`, { token: admin })).body;
        const movements = (await request<{ items: Array<{ delta: number }> }>('GET', `${inventory.url}/inventory/${productId}/movements`, { token: admin })).body.items;
        assert.deepEqual([stock.onHand, stock.available, stock['sku']], [10 + index, 10 + index, skus[index]]);
        // One record, set once: neither copy of the event created a second one or reset it.
        assert.deepEqual(movements.map((movement) => movement.delta), [10 + index]);
      }
    });

    it('When the product is unknown to product-service, then 404 problem+json and no record appears', async () => {
      const productId = randomUUID();

      const answer = await post({ productId, quantity: 5 });
      const read = await request<Stock>('GET', `${inventory.url}/inventory/${productId}`, { token: admin });

      assert.equal(answer.status, 404);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(answer.body.code, 'PRODUCT.NOT_FOUND');
      assert.equal(read.status, 404);
    });

    it('When the quantity is invalid, the product id missing, or the caller no admin, then it is refused before anything is stored', async () => {
      const productId = await createProduct('Vase', '8.00');
      const stock = await stockAppears(inventory.url, admin, productId);

      const answers = await Promise.all([
        post({ productId, quantity: -1 }),
        post({ productId, quantity: 1.5 }),
        post({ productId, quantity: 1_000_001 }),
        post({ productId, quantity: '5' }),
        post({ quantity: 5 }),
        post({ productId, quantity: 5, extra: true }),
        post({ productId, quantity: 5 }, issuer.user()),
        request('POST', `${inventory.url}/inventory`, { body: { productId, quantity: 5 } }),
      ]);
      const after = await request<Stock>('GET', `${inventory.url}/inventory/${productId}`, { token: admin });

      assert.deepEqual(answers.map((answer) => answer.status), [400, 400, 400, 400, 400, 400, 403, 401]);
      assert.equal(after.body.onHand, stock.onHand);
    });

    it('When product-service does not answer, then 503 problem+json and no record appears', async () => {
      const down = await startInventoryService(issuer, { PRODUCT_SERVICE_URL: `http://127.0.0.1:${await freePort()}` });
      try {
        const productId = randomUUID();

        const answer = await post({ productId, quantity: 5 }, admin, down.url);
        const read = await request<Stock>('GET', `${down.url}/inventory/${productId}`, { token: admin });

        assert.equal(answer.status, 503);
        assert.equal(answer.body.code, 'CATALOGUE.UNAVAILABLE');
        assert.equal(read.status, 404);
      } finally {
        await down.kill();
      }
    });
  });

  it('When two inventory-service processes take 200 reserves of 1 unit for 50 on hand, then still exactly 50 succeed', async () => {
    const second = await startInventoryService(issuer, { PRODUCT_SERVICE_URL: products.url });
    try {
      const productId = await broker.productCreated();
      await stockAppears(inventory.url, admin, productId);
      await request('PUT', `${inventory.url}/inventory/${productId}/quantity`, { token: admin, body: { quantity: 50 } });

      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          request<Stock>('POST', `${(index % 2 === 0 ? inventory : second).url}/inventory/${productId}/reserve`, { token: admin, body: { quantity: 1, reference: `x-${index}` } }),
        ),
      );
      const stock = (await request<Stock>('GET', `${second.url}/inventory/${productId}`, { token: admin })).body;

      assert.equal(answers.filter((answer) => answer.status === 200).length, 50);
      assert.equal(answers.filter((answer) => answer.status === 409).length, 150);
      assert.deepEqual([stock.onHand, stock.reserved, stock.available, stock.openHolds], [50, 50, 0, 50]);
    } finally {
      await second.kill();
    }
  });

  describe('order saga (steps 2 and 4)', () => {
    const order = (items: Array<{ productId: string; quantity: number }>, orderId = randomUUID()) => ({
      orderId,
      customerId: randomUUID(),
      customerEmail: 'buyer@example.com',
      items: items.map((item) => ({ ...item, name: 'Widget', unitPrice: '3.00' })),
      total: '9.00',
      currency: 'EUR',
    });
    const stockOf = async (productId: string): Promise<Stock> => (await request<Stock>('GET', `${inventory.url}/inventory/${productId}`, { token: admin })).body;
    const stocked = async (quantity: number): Promise<string> => {
      const productId = await broker.productCreated();
      await stockAppears(inventory.url, admin, productId);
      await request('PUT', `${inventory.url}/inventory/${productId}/quantity`, { token: admin, body: { quantity } });
      return productId;
    };

    it('When order_created can be served, then every line is held for the order and stock_reserved answers it; order_shipped then deducts', async () => {
      const tap = await broker.tap(['stock_reserved', 'stock_rejected']);
      const [a, b] = [await stocked(10), await stocked(10)];
      const created = order([{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }]);

      await broker.publish('order_created', created, created.orderId, '/order-service');
      const answer = await tap.next((event) => event.subject === created.orderId);
      const held = [await stockOf(a), await stockOf(b)];
      await broker.publish('order_shipped', { ...created, items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }] }, created.orderId, '/order-service');
      const shipped = await waitFor(async () => {
        const stock = await stockOf(b);
        return stock.onHand === 7 ? stock : undefined;
      });

      assert.equal(answer.type, 'stock_reserved');
      assert.deepEqual(held.map((stock) => [stock.reserved, stock.available]), [[2, 8], [3, 7]]);
      assert.deepEqual([shipped.onHand, shipped.reserved, shipped.available], [7, 0, 7]);
    });

    it('When one line is short, then nothing stays held and stock_rejected names the short line', async () => {
      const tap = await broker.tap(['stock_reserved', 'stock_rejected']);
      const [plenty, scarce] = [await stocked(10), await stocked(1)];
      const created = order([{ productId: plenty, quantity: 2 }, { productId: scarce, quantity: 5 }]);

      await broker.publish('order_created', created, created.orderId, '/order-service');
      const answer = await tap.next((event) => event.subject === created.orderId);

      assert.equal(answer.type, 'stock_rejected');
      assert.deepEqual((answer.data as { shortItems: unknown[] }).shortItems, [{ productId: scarce, requested: 5, available: 1 }]);
      for (const productId of [plenty, scarce]) {
        const stock = await stockOf(productId);
        assert.equal(stock.reserved, 0);
        assert.equal(stock.openHolds, 0);
      }
    });

    it('When two of three lines are short, then stock_rejected names both and nothing stays held', async () => {
      const tap = await broker.tap(['stock_reserved', 'stock_rejected']);
      const stocks = [await stocked(1), await stocked(10), await stocked(2)];
      const created = order([{ productId: stocks[0]!, quantity: 3 }, { productId: stocks[1]!, quantity: 1 }, { productId: stocks[2]!, quantity: 4 }]);

      await broker.publish('order_created', created, created.orderId, '/order-service');
      const answer = await tap.next((event) => event.subject === created.orderId);

      const expected = [
        { productId: stocks[0]!, requested: 3, available: 1 },
        { productId: stocks[2]!, requested: 4, available: 2 },
      ];
      const byId = (a: { productId: string }, b: { productId: string }) => a.productId.localeCompare(b.productId);
      assert.equal(answer.type, 'stock_rejected');
      assert.deepEqual([...(answer.data as { shortItems: Array<{ productId: string }> }).shortItems].sort(byId), expected.sort(byId));
      for (const productId of stocks) assert.equal((await stockOf(productId)).reserved, 0);
    });

    it('When an order is cancelled, then its holds are released', async () => {
      const tap = await broker.tap(['stock_reserved']);
      const productId = await stocked(10);
      const created = order([{ productId, quantity: 4 }]);
      await broker.publish('order_created', created, created.orderId, '/order-service');
      await tap.next((event) => event.subject === created.orderId);

      await broker.publish('order_cancelled', { ...created, items: [{ productId, quantity: 4 }] }, created.orderId, '/order-service');
      const released = await waitFor(async () => {
        const stock = await stockOf(productId);
        return stock.reserved === 0 ? stock : undefined;
      });

      assert.deepEqual([released.onHand, released.available], [10, 10]);
    });
  });
});

async function fetchAll(baseUrl: string, token: string): Promise<Listing['items']> {
  const items: Listing['items'] = [];
  for (let page = 1; ; page += 1) {
    const answer = await request<Listing>('GET', `${baseUrl}/inventory?limit=100&page=${page}`, { token });
    items.push(...answer.body.items);
    if (answer.body.items.length < 100) return items;
  }
}
