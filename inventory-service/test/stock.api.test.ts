import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request, startTestIssuer, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { startInventoryService, stockAppears, TestBroker, type Stock } from './support';

type Problem = { status: number; code?: string; errors?: Record<string, string> };

describe('inventory-service stock API', () => {
  let issuer: TestIssuer;
  let service: ServiceProcess;
  let broker: TestBroker;
  let admin: string;
  let user: string;

  before(async () => {
    issuer = await startTestIssuer();
    service = await startInventoryService(issuer);
    broker = new TestBroker();
    await broker.start();
    admin = issuer.admin();
    user = issuer.user();
  });

  after(async () => {
    await service.stop();
    // stock_low also lands in notification-service's queue: leave it no test events.
    await broker.close(['notification-service']);
    await issuer.close();
  });

  const url = (path: string): string => `${service.url}${path}`;
  /** How many events of a type inventory has finished handling, whatever the outcome (its /metrics). */
  const consumed = async (type: string): Promise<number> =>
    (await (await fetch(url('/metrics'))).text())
      .split('\n')
      .filter((line) => line.startsWith('events_consumed_total{') && line.includes(`type="${type}"`))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  const get = async (productId: string): Promise<Stock> => (await request<Stock>('GET', url(`/inventory/${productId}`), { token: admin })).body;
  const call = (productId: string, action: string, body: unknown, token = admin) =>
    request<Stock & Problem>(action === 'quantity' ? 'PUT' : 'POST', url(`/inventory/${productId}/${action}`), { token, body });

  /** A product announced on the broker, with `onHand` units set by an admin. */
  async function stocked(onHand: number): Promise<string> {
    const productId = await broker.productCreated();
    await stockAppears(service.url, admin, productId);
    if (onHand > 0) assert.equal((await call(productId, 'quantity', { quantity: onHand })).status, 200);
    return productId;
  }

  /** Every movement of a product, read page by page through the admin API. */
  async function historyOf(productId: string): Promise<Array<{ kind: string; delta: number; reservedDelta: number }>> {
    const items: Array<{ kind: string; delta: number; reservedDelta: number }> = [];
    for (let page = 1; ; page += 1) {
      const answer = await request<{ items: typeof items; total: number }>('GET', url(`/inventory/${productId}/movements?limit=100&page=${page}`), { token: admin });
      items.push(...answer.body.items);
      if (items.length >= answer.body.total || answer.body.items.length === 0) return items;
    }
  }

  /** The record agrees with itself and with its history: the sums of the movements, and the holds opened minus closed. */
  const assertConsistent = async (productId: string, stock: Stock): Promise<void> => {
    const history = await historyOf(productId);
    const sum = (field: 'delta' | 'reservedDelta') => history.reduce((total, movement) => total + movement[field], 0);
    assert.equal(stock.available, stock.onHand - stock.reserved, 'available = onHand - reserved');
    assert.equal(stock.onHand, sum('delta'), 'onHand = sum of movements');
    assert.equal(stock.reserved, sum('reservedDelta'), 'reserved = sum of movements');
    const opened = history.filter((movement) => movement.reservedDelta > 0).length;
    const closed = history.filter((movement) => movement.reservedDelta < 0).length;
    assert.equal(stock.openHolds, opened - closed, 'openHolds = holds opened - holds closed');
    assert.ok(stock.available >= 0 && stock.reserved >= 0);
  };

  describe('records and quantities', () => {
    it('When product_created arrives on the broker, then the product has an empty stock record', async () => {
      const productId = await broker.productCreated();

      const stock = await stockAppears(service.url, user, productId);

      assert.equal(stock['productId'], productId);
      assert.deepEqual([stock.onHand, stock.reserved, stock.available], [0, 0, 0]);
      assert.equal(stock['lowStockThreshold'], 5);
      assert.equal(stock['active'], true);
      for (const hidden of ['_id', '__v', 'outbox', 'version']) assert.ok(!(hidden in stock), hidden);
    });

    it('When the same product_created is delivered twice, then there is still one record, untouched', async () => {
      const productId = await stocked(7);

      const handled = await consumed('product_created');
      await broker.publish('product_created', { productId, sku: 'OTHER', name: 'Again', price: '1.00', currency: 'EUR' }, productId);
      // The copy has been handled (as a duplicate or not): whatever it did is done.
      await waitFor(async () => ((await consumed('product_created')) > handled ? true : undefined), 10_000);

      const stock = await get(productId);
      assert.equal(stock.onHand, 7);
      assert.equal(stock['sku'], `INV-${productId.slice(0, 8)}`);
    });

    it('When an admin sets the quantity, then on-hand and available follow; below what is reserved it is 409', async () => {
      const productId = await stocked(10);
      await call(productId, 'reserve', { quantity: 4, reference: 'order-1' });

      const set = await call(productId, 'quantity', { quantity: 6 });
      const below = await call(productId, 'quantity', { quantity: 3 });

      assert.equal(set.status, 200);
      assert.deepEqual([set.body.onHand, set.body.reserved, set.body.available], [6, 4, 2]);
      assert.equal(below.status, 409);
      assert.equal(below.body.code, 'STOCK.BELOW_RESERVED');
      assert.equal((await get(productId)).onHand, 6);
    });

    it('When stock is adjusted, then the signed delta applies, never below reserved, and each change is in the movement history', async () => {
      const productId = await stocked(10);
      await call(productId, 'reserve', { quantity: 3, reference: 'order-1' });

      const received = await call(productId, 'adjust', { delta: 5, reason: 'delivery' });
      const damaged = await call(productId, 'adjust', { delta: -2, reason: 'damaged' });
      const tooMuch = await call(productId, 'adjust', { delta: -11, reason: 'stolen' });
      const history = await request<{ items: Array<{ kind: string; delta: number; reason?: string; reference?: string }>; total: number }>('GET', url(`/inventory/${productId}/movements`), { token: admin });

      assert.equal(received.body.onHand, 15);
      assert.equal(damaged.body.onHand, 13);
      assert.equal(tooMuch.status, 409);
      assert.equal((await get(productId)).onHand, 13);
      assert.deepEqual(
        history.body.items.map((movement) => [movement.kind, movement.delta, movement.reason ?? movement.reference]),
        [
          ['adjust', -2, 'damaged'],
          ['adjust', 5, 'delivery'],
          ['reserve', 0, 'order-1'],
          ['set', 10, 'set'],
        ],
      );
    });
  });

  describe('reserve, release, deduct', () => {
    it('When stock is reserved, released and deducted, then the arithmetic holds at every step', async () => {
      const productId = await stocked(20);

      const reserved = await call(productId, 'reserve', { quantity: 5, reference: 'a' });
      await call(productId, 'reserve', { quantity: 3, reference: 'b' });
      const released = await call(productId, 'release', { quantity: 5, reference: 'a' });
      const deducted = await call(productId, 'deduct', { quantity: 3, reference: 'b' });
      const direct = await call(productId, 'deduct', { quantity: 2, reference: 'walk-in' });

      assert.deepEqual([reserved.body.onHand, reserved.body.reserved, reserved.body.available], [20, 5, 15]);
      assert.deepEqual([released.body.onHand, released.body.reserved, released.body.available], [20, 3, 17]);
      assert.deepEqual([deducted.body.onHand, deducted.body.reserved, deducted.body.available], [17, 0, 17]);
      assert.deepEqual([direct.body.onHand, direct.body.reserved, direct.body.available], [15, 0, 15]);
      await assertConsistent(productId, await get(productId));
    });

    it('When a reserve is repeated with the same reference, then it has one effect, also when 20 arrive at once', async () => {
      const productId = await stocked(50);

      const first = await call(productId, 'reserve', { quantity: 4, reference: 'order-x' });
      const again = await call(productId, 'reserve', { quantity: 4, reference: 'order-x' });
      const burst = await Promise.all(Array.from({ length: 20 }, () => call(productId, 'reserve', { quantity: 2, reference: 'order-y' })));
      const stock = await get(productId);

      assert.equal(first.body.applied, true);
      assert.equal(again.status, 200);
      assert.equal(again.body.applied, false);
      assert.ok(burst.every((answer) => answer.status === 200));
      assert.equal(burst.filter((answer) => answer.body.applied).length, 1);
      assert.equal(stock.reserved, 6);
      assert.equal(stock.available, 44);
      await assertConsistent(productId, stock);
    });

    it('When a release or deduct is repeated with the same reference, then it has one effect; reserving a released reference again does nothing', async () => {
      const productId = await stocked(10);
      await call(productId, 'reserve', { quantity: 2, reference: 'r1' });
      await call(productId, 'reserve', { quantity: 3, reference: 'r2' });

      const releases = [await call(productId, 'release', { quantity: 2, reference: 'r1' }), await call(productId, 'release', { quantity: 2, reference: 'r1' })];
      const deducts = [await call(productId, 'deduct', { quantity: 3, reference: 'r2' }), await call(productId, 'deduct', { quantity: 3, reference: 'r2' })];
      const reReserve = await call(productId, 'reserve', { quantity: 2, reference: 'r1' });
      const stock = await get(productId);

      assert.deepEqual(releases.map((answer) => [answer.status, answer.body.applied]), [[200, true], [200, false]]);
      assert.deepEqual(deducts.map((answer) => [answer.status, answer.body.applied]), [[200, true], [200, false]]);
      assert.equal(reReserve.body.applied, false);
      assert.deepEqual([stock.onHand, stock.reserved, stock.available], [7, 0, 7]);
    });

    it('When a hold does not exist or the quantity does not match it, then release answers 409', async () => {
      const productId = await stocked(10);
      await call(productId, 'reserve', { quantity: 2, reference: 'r1' });

      const unknown = await call(productId, 'release', { quantity: 1, reference: 'never' });
      const mismatch = await call(productId, 'release', { quantity: 1, reference: 'r1' });

      assert.equal(unknown.status, 409);
      assert.equal(unknown.body.code, 'STOCK.HOLD_NOT_FOUND');
      assert.equal(mismatch.status, 409);
      assert.equal(mismatch.body.code, 'STOCK.HOLD_MISMATCH');
      assert.equal((await get(productId)).reserved, 2);
    });

    it('When there is not enough available stock, then reserve and deduct answer 409 STOCK.INSUFFICIENT and change nothing', async () => {
      const productId = await stocked(3);

      const reserve = await call(productId, 'reserve', { quantity: 4, reference: 'big' });
      const deduct = await call(productId, 'deduct', { quantity: 4, reference: 'big-direct' });

      assert.equal(reserve.status, 409);
      assert.equal(reserve.body.code, 'STOCK.INSUFFICIENT');
      assert.equal(deduct.body.code, 'STOCK.INSUFFICIENT');
      assert.deepEqual([(await get(productId)).available, (await get(productId)).reserved], [3, 0]);
    });
  });

  describe('concurrency', () => {
    it('When 200 reserves of 1 unit race for 50 on hand, then exactly 50 succeed, 150 get 409, available 0, reserved 50', async () => {
      const productId = await stocked(50);

      const answers = await Promise.all(Array.from({ length: 200 }, (_, index) => call(productId, 'reserve', { quantity: 1, reference: `race-${index}` })));
      const stock = await get(productId);

      assert.equal(answers.filter((answer) => answer.status === 200).length, 50);
      assert.equal(answers.filter((answer) => answer.status === 409 && answer.body.code === 'STOCK.INSUFFICIENT').length, 150);
      assert.deepEqual([stock.onHand, stock.reserved, stock.available], [50, 50, 0]);
      assert.equal(stock.openHolds, 50);
      await assertConsistent(productId, stock);
    });

    it('When reserves, releases, deducts and adjustments race, then the totals match exactly the calls that succeeded', async () => {
      const productId = await stocked(100);
      // 40 holds of 1 to release or deduct during the race.
      for (let index = 0; index < 40; index += 1) assert.equal((await call(productId, 'reserve', { quantity: 1, reference: `pre-${index}` })).status, 200);

      const calls = [
        ...Array.from({ length: 60 }, (_, index) => ({ action: 'reserve', body: { quantity: 2, reference: `new-${index}` }, onHand: 0, reserved: 2 })),
        ...Array.from({ length: 20 }, (_, index) => ({ action: 'release', body: { quantity: 1, reference: `pre-${index}` }, onHand: 0, reserved: -1 })),
        ...Array.from({ length: 20 }, (_, index) => ({ action: 'deduct', body: { quantity: 1, reference: `pre-${20 + index}` }, onHand: -1, reserved: -1 })),
        ...Array.from({ length: 20 }, (_, index) => ({ action: 'deduct', body: { quantity: 1, reference: `direct-${index}` }, onHand: -1, reserved: 0 })),
        ...Array.from({ length: 10 }, (_, index) => ({ action: 'adjust', body: { delta: index % 2 === 0 ? 3 : -3, reason: 'count' }, onHand: index % 2 === 0 ? 3 : -3, reserved: 0 })),
      ].sort(() => Math.random() - 0.5);

      const answers = await Promise.all(calls.map((spec) => call(productId, spec.action, spec.body)));
      const stock = await get(productId);

      let onHand = 100;
      let reserved = 40;
      answers.forEach((answer, index) => {
        const spec = calls[index];
        assert.ok(spec);
        assert.ok(answer.status === 200 || answer.status === 409, `${spec.action}: ${answer.status}`);
        if (answer.status === 200 && answer.body.applied) {
          onHand += spec.onHand;
          reserved += spec.reserved;
        }
      });
      assert.ok(answers.filter((answer) => answer.status === 200).length > 60);
      assert.deepEqual([stock.onHand, stock.reserved, stock.available], [onHand, reserved, onHand - reserved]);
      await assertConsistent(productId, stock);
    });
  });

  describe('bad input', () => {
    const badBodies: Array<[string, unknown]> = [
      ['negative', { quantity: -1, reference: 'r' }],
      ['zero', { quantity: 0, reference: 'r' }],
      ['non-integer', { quantity: 1.5, reference: 'r' }],
      ['missing quantity', { reference: 'r' }],
      ['missing reference', { quantity: 1 }],
      ['a string quantity', { quantity: '1', reference: 'r' }],
      ['a huge quantity', { quantity: 1e12, reference: 'r' }],
      ['an empty reference', { quantity: 1, reference: '' }],
      ['an unknown field', { quantity: 1, reference: 'r', force: true }],
      ['an array', [1]],
      ['null', null],
    ];

    for (const action of ['reserve', 'release', 'deduct']) {
      for (const [label, body] of badBodies) {
        it(`When ${action} gets ${label}, then it answers 400 problem+json and nothing changes`, async () => {
          const productId = await stocked(5);
          const before = await get(productId);

          const answer = await request<Problem>('POST', url(`/inventory/${productId}/${action}`), { token: admin, raw: JSON.stringify(body) });

          assert.equal(answer.status, 400);
          assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
          assert.deepEqual(await get(productId), before);
        });
      }
    }

    for (const [label, body] of [
      ['negative', { quantity: -5 }],
      ['non-integer', { quantity: 2.5 }],
      ['a string', { quantity: 'ten' }],
      ['huge', { quantity: 10_000_001 }],
      ['unknown field', { quantity: 5, location: 'A1' }],
      ['nothing', {}],
    ] as const) {
      it(`When the quantity set is ${label}, then it answers 400 with the field and nothing changes`, async () => {
        const productId = await stocked(5);

        const answer = await call(productId, 'quantity', body);

        assert.equal(answer.status, 400);
        assert.ok(answer.body.errors && Object.keys(answer.body.errors).length > 0);
        assert.equal((await get(productId)).onHand, 5);
      });
    }

    for (const [label, body] of [
      ['zero', { delta: 0, reason: 'x' }],
      ['without a reason', { delta: 1 }],
      ['a float', { delta: 0.5, reason: 'x' }],
    ] as const) {
      it(`When an adjustment is ${label}, then it answers 400`, async () => {
        const productId = await stocked(5);

        const answer = await call(productId, 'adjust', body);

        assert.equal(answer.status, 400);
        assert.equal((await get(productId)).onHand, 5);
      });
    }

    it('When the product is unknown, then reads and every write answer 404', async () => {
      const unknown = randomUUID();

      const answers = [
        await request<Problem>('GET', url(`/inventory/${unknown}`), { token: admin }),
        await call(unknown, 'quantity', { quantity: 1 }),
        await call(unknown, 'adjust', { delta: 1, reason: 'x' }),
        await call(unknown, 'reserve', { quantity: 1, reference: 'r' }),
        await call(unknown, 'release', { quantity: 1, reference: 'r' }),
        await call(unknown, 'deduct', { quantity: 1, reference: 'r' }),
      ];

      assert.deepEqual(answers.map((answer) => answer.status), [404, 404, 404, 404, 404, 404]);
      assert.equal(answers[0]?.body.code, 'STOCK.NOT_FOUND');
    });

    it('When the product id cannot be an id ($where), then it answers 400, never reaching a query', async () => {
      const answer = await request<Problem>('GET', url('/inventory/%24where'), { token: admin });

      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'REQUEST.INVALID');
    });

    it('When there is no token, then it answers 401; a user may read but not write (403)', async () => {
      const productId = await stocked(5);

      const anonymous = await request<Problem>('GET', url(`/inventory/${productId}`));
      const userRead = await request<Stock>('GET', url(`/inventory/${productId}`), { token: user });
      const userWrite = await call(productId, 'reserve', { quantity: 1, reference: 'r' }, user);

      assert.equal(anonymous.status, 401);
      assert.equal(userRead.status, 200);
      assert.equal(userWrite.status, 403);
      assert.equal((await get(productId)).reserved, 0);
    });
  });

  describe('events', () => {
    it('When available stock falls below the threshold, then stock_low is published once, on the crossing', async () => {
      const tap = await broker.tap(['stock_low']);
      const productId = await stocked(10);

      await call(productId, 'reserve', { quantity: 5, reference: 'a' }); // 5: not below 5
      await call(productId, 'reserve', { quantity: 1, reference: 'b' }); // 4: crossed
      await call(productId, 'reserve', { quantity: 1, reference: 'c' }); // 3: still below
      const event = await tap.next((candidate) => candidate.subject === productId);
      await new Promise((resolve) => setTimeout(resolve, 1000));

      assert.deepEqual(event.data, { productId, available: 4, threshold: 5 });
      assert.equal(event.source, '/inventory-service');
      assert.equal(tap.events.filter((candidate) => candidate.subject === productId).length, 1);
    });

    it('When product_deleted arrives, then the stock is retired: no new reservations, holds still settle', async () => {
      const productId = await stocked(10);
      await call(productId, 'reserve', { quantity: 2, reference: 'held' });

      await broker.publish('product_deleted', { productId, sku: `INV-${productId.slice(0, 8)}` }, productId, '/product-service');
      const retired = await waitFor(async () => {
        const stock = await get(productId);
        return stock['active'] === false ? stock : undefined;
      }, 10_000);
      const reserve = await call(productId, 'reserve', { quantity: 1, reference: 'late' });
      const release = await call(productId, 'release', { quantity: 2, reference: 'held' });

      assert.equal(retired['active'], false);
      assert.equal(reserve.status, 409);
      assert.equal(reserve.body.code, 'STOCK.PRODUCT_RETIRED');
      assert.equal(release.status, 200);
    });
  });
});
