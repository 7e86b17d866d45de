import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request, startTestIssuer, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { startProductService, uniqueSku } from './support';

type Body = Record<string, unknown> & { errors?: Record<string, string>; code?: string };

describe('product-service catalogue API', () => {
  let issuer: TestIssuer;
  let service: ServiceProcess;
  let admin: string;
  let user: string;

  before(async () => {
    issuer = await startTestIssuer();
    service = await startProductService(issuer);
    admin = issuer.admin();
    user = issuer.user();
  });

  after(async () => {
    await service.stop();
    await issuer.close();
  });

  const url = (path: string): string => `${service.url}${path}`;
  const create = (body: Record<string, unknown>, token = admin) => request<Body>('POST', url('/products'), { token, body });
  const validProduct = (overrides: Record<string, unknown> = {}) => ({ name: 'Blue Mug', price: '12.50', sku: uniqueSku(), ...overrides });

  describe('create', () => {
    it('When an admin creates a product, then it answers 201 with id, price as a decimal string and EUR by default, nothing internal', async () => {
      const input = validProduct({ description: 'Holds tea', category: 'kitchen' });

      const answer = await create(input);

      assert.equal(answer.status, 201);
      assert.match(String(answer.body['id']), /^[0-9a-f-]{36}$/);
      assert.equal(answer.body['price'], '12.50');
      assert.equal(answer.body['currency'], 'EUR');
      assert.equal(answer.body['sku'], input.sku);
      assert.equal(answer.body['active'], true);
      for (const hidden of ['_id', '__v', 'outbox', 'priceMinor', 'nameKey', 'version']) assert.ok(!(hidden in answer.body), hidden);
    });

    it('When the price is given in whole minor units, then it is stored exactly and shown as a decimal string', async () => {
      const answer = await create(validProduct({ price: 1999, currency: 'USD' }));

      assert.equal(answer.status, 201);
      assert.equal(answer.body['price'], '19.99');
      assert.equal(answer.body['currency'], 'USD');
    });

    it('When a decimal price has one decimal, then it is read as tenths ("7.5" is 7.50)', async () => {
      const answer = await create(validProduct({ price: '7.5' }));

      assert.equal(answer.body['price'], '7.50');
    });

    it('When fields are missing or malformed, then it answers 400 problem+json naming each field', async () => {
      const answer = await request<Body>('POST', url('/products'), { token: admin, body: { price: 12.345, currency: 'euro', sku: 'bad sku!' } });

      assert.equal(answer.status, 400);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(answer.body.code, 'REQUEST.INVALID');
      for (const field of ['body.name', 'body.price', 'body.currency', 'body.sku']) assert.ok(answer.body.errors?.[field], `${field} in ${JSON.stringify(answer.body.errors)}`);
    });

    for (const [label, price] of [
      ['a binary float', 12.5],
      ['negative', '-1.00'],
      ['three decimals', '1.005'],
      ['not a number', 'twelve'],
      ['huge', '99999999999999'],
    ] as const) {
      it(`When the price is ${label}, then it answers 400 and nothing is created`, async () => {
        const sku = uniqueSku();

        const answer = await create(validProduct({ price, sku }));

        assert.equal(answer.status, 400);
        assert.ok(answer.body.errors?.['body.price']);
        const list = await request<{ items: Body[] }>('GET', url(`/products?q=${sku}`));
        assert.equal(list.body.items.length, 0);
      });
    }

    it('When the body has an unknown field, then it answers 400', async () => {
      const answer = await create(validProduct({ color: 'blue' }));

      assert.equal(answer.status, 400);
    });

    it('When the body is not JSON, then it answers 400 problem+json', async () => {
      const answer = await request<Body>('POST', url('/products'), { token: admin, raw: '{"name": ' });

      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'REQUEST.MALFORMED');
    });

    it('When there is no token, then it answers 401; with a user token, 403', async () => {
      const anonymous = await request<Body>('POST', url('/products'), { body: validProduct() });
      const asUser = await create(validProduct(), user);

      assert.equal(anonymous.status, 401);
      assert.equal(asUser.status, 403);
    });

    it('When the SKU is already taken, then it answers 409 PRODUCT.SKU_TAKEN', async () => {
      const sku = uniqueSku();
      await create(validProduct({ sku }));

      const second = await create(validProduct({ sku, name: 'Another' }));

      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'PRODUCT.SKU_TAKEN');
    });

    it('When the same SKU is created 20 times at once, then exactly one succeeds', async () => {
      const sku = uniqueSku();

      const answers = await Promise.all(Array.from({ length: 20 }, () => create(validProduct({ sku }))));

      assert.equal(answers.filter((answer) => answer.status === 201).length, 1);
      assert.equal(answers.filter((answer) => answer.status === 409).length, 19);
    });
  });

  describe('read', () => {
    it('When anyone asks for a product by id, then it answers it without a token', async () => {
      const created = await create(validProduct());

      const answer = await request<Body>('GET', url(`/products/${String(created.body['id'])}`));

      assert.equal(answer.status, 200);
      assert.equal(answer.body['id'], created.body['id']);
    });

    for (const id of ['not-an-id', '123', randomUUID()]) {
      it(`When the id is ${id}, then it answers 404 problem+json, never 500`, async () => {
        const answer = await request<Body>('GET', url(`/products/${id}`));

        assert.equal(answer.status, 404);
        assert.equal(answer.body.code, 'PRODUCT.NOT_FOUND');
      });
    }

    it('When the id cannot be an id (an operator object), then it answers 400 problem+json, never 500', async () => {
      const answer = await request<Body>('GET', url('/products/%7B%24ne%3A1%7D'));

      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'REQUEST.INVALID');
    });
  });

  describe('update and delete', () => {
    it('When an admin patches name and price, then the product answers the new values', async () => {
      const created = await create(validProduct());
      const id = String(created.body['id']);

      const patched = await request<Body>('PATCH', url(`/products/${id}`), { token: admin, body: { name: 'Red Mug', price: '9.99' } });
      const read = await request<Body>('GET', url(`/products/${id}`));

      assert.equal(patched.status, 200);
      assert.equal(read.body['name'], 'Red Mug');
      assert.equal(read.body['price'], '9.99');
      assert.equal(read.body['sku'], created.body['sku']);
    });

    it('When a patch tries to change the SKU, is empty, or comes from a user, then it is refused and nothing changes', async () => {
      const created = await create(validProduct());
      const id = String(created.body['id']);

      const sku = await request<Body>('PATCH', url(`/products/${id}`), { token: admin, body: { sku: uniqueSku() } });
      const empty = await request<Body>('PATCH', url(`/products/${id}`), { token: admin, body: {} });
      const asUser = await request<Body>('PATCH', url(`/products/${id}`), { token: user, body: { name: 'Mine' } });
      const read = await request<Body>('GET', url(`/products/${id}`));

      assert.deepEqual([sku.status, empty.status, asUser.status], [400, 400, 403]);
      assert.equal(read.body['name'], 'Blue Mug');
    });

    const replacement = (overrides: Record<string, unknown> = {}) => ({
      name: 'Green Mug',
      description: 'Holds coffee',
      price: 1450,
      currency: 'USD',
      category: 'kitchen',
      active: false,
      ...overrides,
    });

    it('When an admin replaces a product with PUT, then every editable field takes the new value and the SKU and id stay', async () => {
      const created = await create(validProduct({ description: 'Holds tea', category: 'cups' }));
      const id = String(created.body['id']);

      const replaced = await request<Body>('PUT', url(`/products/${id}`), { token: admin, body: replacement() });
      const read = await request<Body>('GET', url(`/products/${id}`), { token: admin });

      assert.equal(replaced.status, 200);
      assert.deepEqual(
        ['name', 'description', 'price', 'currency', 'category', 'active', 'sku', 'id'].map((field) => read.body[field]),
        ['Green Mug', 'Holds coffee', '14.50', 'USD', 'kitchen', false, created.body['sku'], id],
      );
      assert.deepEqual(replaced.body, read.body);
    });

    it('When a PUT lacks a field, names the SKU, has a bad price, or comes from a user, then it is refused and nothing changes', async () => {
      const created = await create(validProduct());
      const id = String(created.body['id']);
      const { category: _category, ...withoutCategory } = replacement();

      const missing = await request<Body>('PUT', url(`/products/${id}`), { token: admin, body: withoutCategory });
      const sku = await request<Body>('PUT', url(`/products/${id}`), { token: admin, body: replacement({ sku: uniqueSku() }) });
      const price = await request<Body>('PUT', url(`/products/${id}`), { token: admin, body: replacement({ price: 12.5 }) });
      const asUser = await request<Body>('PUT', url(`/products/${id}`), { token: user, body: replacement() });
      const anonymous = await request<Body>('PUT', url(`/products/${id}`), { body: replacement() });
      const read = await request<Body>('GET', url(`/products/${id}`));

      assert.deepEqual([missing.status, sku.status, price.status, asUser.status, anonymous.status], [400, 400, 400, 403, 401]);
      assert.ok(missing.body.errors?.['body.category'], JSON.stringify(missing.body));
      assert.ok(price.body.errors?.['body.price'], JSON.stringify(price.body));
      assert.equal(read.body['name'], 'Blue Mug');
    });

    it('When an unknown product is replaced, then 404; a deleted one, then 409', async () => {
      const created = await create(validProduct());
      const id = String(created.body['id']);
      await request('DELETE', url(`/products/${id}`), { token: admin });

      const unknown = await request<Body>('PUT', url(`/products/${randomUUID()}`), { token: admin, body: replacement() });
      const deleted = await request<Body>('PUT', url(`/products/${id}`), { token: admin, body: replacement() });

      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'PRODUCT.NOT_FOUND');
      assert.equal(deleted.status, 409);
    });

    it('When an unknown product is patched or deleted, then it answers 404', async () => {
      const patched = await request<Body>('PATCH', url(`/products/${randomUUID()}`), { token: admin, body: { name: 'X' } });
      const deleted = await request<Body>('DELETE', url('/products/nope'), { token: admin });

      assert.equal(patched.status, 404);
      assert.equal(deleted.status, 404);
    });

    it('When an admin deletes a product, then it answers 204, it is gone for the public, kept inactive for admins, and deleting again is a no-op', async () => {
      const created = await create(validProduct());
      const id = String(created.body['id']);

      const deleted = await request('DELETE', url(`/products/${id}`), { token: admin });
      const publicRead = await request<Body>('GET', url(`/products/${id}`));
      const adminRead = await request<Body>('GET', url(`/products/${id}`), { token: admin });
      const again = await request('DELETE', url(`/products/${id}`), { token: admin });
      const patch = await request<Body>('PATCH', url(`/products/${id}`), { token: admin, body: { name: 'Back' } });

      assert.equal(deleted.status, 204);
      assert.equal(publicRead.status, 404);
      assert.equal(adminRead.status, 200);
      assert.equal(adminRead.body['active'], false);
      assert.ok(adminRead.body['deletedAt']);
      assert.equal(again.status, 204);
      assert.equal(patch.status, 409);
    });
  });

  describe('list', () => {
    /** Five products in a category of the test's own. */
    async function catalogue(): Promise<{ category: string; ids: Record<string, string> }> {
      const category = `cat-${randomUUID().slice(0, 8)}`;
      const ids: Record<string, string> = {};
      for (const [name, price] of [
        ['banana', '0.50'],
        ['Apple', '1.20'],
        ['cherry', '9.99'],
        ['Date', '4.00'],
        ['elderberry', '25.00'],
      ] as const) {
        const answer = await create(validProduct({ name, price, category, description: `fresh ${name}` }));
        ids[name] = String(answer.body['id']);
      }
      return { category, ids };
    }

    const names = (body: { items: Body[] }): unknown[] => body.items.map((item) => item['name']);

    it('When filtered by category and sorted by price, then it answers that category in price order with the total', async () => {
      const { category } = await catalogue();

      const answer = await request<{ items: Body[]; page: number; limit: number; total: number }>('GET', url(`/products?category=${category}&sort=price`));

      assert.equal(answer.status, 200);
      assert.deepEqual(names(answer.body), ['banana', 'Apple', 'Date', 'cherry', 'elderberry']);
      assert.equal(answer.body.total, 5);
      assert.equal(answer.body.page, 1);
      assert.equal(answer.body.limit, 20);
    });

    it('When sorted by name, then the order ignores case; descending reverses it', async () => {
      const { category } = await catalogue();

      const ascending = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&sort=name`));
      const descending = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&sort=-name`));

      assert.deepEqual(names(ascending.body), ['Apple', 'banana', 'cherry', 'Date', 'elderberry']);
      assert.deepEqual(names(descending.body), ['elderberry', 'Date', 'cherry', 'banana', 'Apple']);
    });

    it('When paginated, then each page holds its slice and the total stays', async () => {
      const { category } = await catalogue();

      const page2 = await request<{ items: Body[]; page: number; total: number }>('GET', url(`/products?category=${category}&sort=price&page=2&limit=2`));
      const page3 = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&sort=price&page=3&limit=2`));

      assert.deepEqual(names(page2.body), ['Date', 'cherry']);
      assert.equal(page2.body.page, 2);
      assert.equal(page2.body.total, 5);
      assert.deepEqual(names(page3.body), ['elderberry']);
    });

    it('When filtered by a price range and a search text, then only matching products are listed', async () => {
      const { category } = await catalogue();

      const range = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&minPrice=1.20&maxPrice=9.99&sort=price`));
      const search = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&q=BERRY`));

      assert.deepEqual(names(range.body), ['Apple', 'Date', 'cherry']);
      assert.deepEqual(names(search.body), ['elderberry']);
    });

    it('When a product is deleted, then it is not listed, unless an admin asks for inactive ones', async () => {
      const { category, ids } = await catalogue();
      await request('DELETE', url(`/products/${ids['cherry'] ?? ''}`), { token: admin });

      const publicList = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&sort=name`));
      const userAsking = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&includeInactive=true`), { token: user });
      const adminList = await request<{ items: Body[] }>('GET', url(`/products?category=${category}&includeInactive=true`), { token: admin });

      assert.deepEqual(names(publicList.body), ['Apple', 'banana', 'Date', 'elderberry']);
      assert.equal(userAsking.body.items.length, 4);
      assert.equal(adminList.body.items.length, 5);
    });

    it('When the limit is above 100, then it is capped at 100', async () => {
      const answer = await request<{ limit: number }>('GET', url('/products?limit=5000'));

      assert.equal(answer.status, 200);
      assert.equal(answer.body.limit, 100);
    });

    for (const query of ['page=0', 'limit=0', 'limit=abc', 'sort=color', 'minPrice=-1', 'minPrice=5&maxPrice=1', 'maxPrice=1.234']) {
      it(`When the query is ${query}, then it answers 400`, async () => {
        const answer = await request<Body>('GET', url(`/products?${query}`));

        assert.equal(answer.status, 400);
        assert.ok(answer.body.errors && Object.keys(answer.body.errors).length > 0);
      });
    }
  });
});
