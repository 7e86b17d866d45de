import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mongoose, { type Connection } from 'mongoose';
import { faultSkip, freePort, request, startTestIssuer, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { PRODUCT_DB, purgeQueue, startProductService, tapEvents, uniqueSku, type EventTap } from './support';

type Body = Record<string, unknown>;

describe('product-service events through the document outbox', () => {
  let issuer: TestIssuer;
  let service: ServiceProcess;
  let tap: EventTap;
  let db: Connection;

  before(async () => {
    issuer = await startTestIssuer();
    service = await startProductService(issuer);
    tap = await tapEvents(['product_created', 'product_deleted']);
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName: PRODUCT_DB, retryWrites: false }).asPromise();
  });

  after(async () => {
    await service.stop();
    await tap.close();
    await issuer.close();
    await db.close();
    // Every product_created of this suite also went to inventory-service's queue.
    await purgeQueue('inventory-service');
  });

  const create = (baseUrl: string, headers: Record<string, string> = {}) =>
    request<Body>('POST', `${baseUrl}/products`, { token: issuer.admin(), headers, body: { name: 'Lamp', price: '30.00', sku: uniqueSku('EVT') } });

  const outboxOf = async (id: string): Promise<unknown[]> => {
    const doc = await db.collection<{ _id: string; outbox?: unknown[] }>('products').findOne({ _id: id });
    return doc?.outbox ?? [];
  };

  it('When a product is created, then product_created is published with its data, source, subject and the request id as correlation, and leaves the outbox', async () => {
    const requestId = `req-${randomUUID()}`;

    const created = await create(service.url, { 'x-request-id': requestId });
    const id = String(created.body['id']);
    const event = await tap.next((candidate) => candidate.subject === id);

    assert.equal(event.type, 'product_created');
    assert.equal(event.source, '/product-service');
    assert.equal(event.correlationid, requestId);
    assert.deepEqual(event.data, { productId: id, sku: created.body['sku'], name: 'Lamp', price: '30.00', currency: 'EUR' });
    await waitFor(async () => ((await outboxOf(id)).length === 0 ? true : undefined), 10_000);
  });

  it('When a product is deleted, then product_deleted follows its product_created, once', async () => {
    const created = await create(service.url);
    const id = String(created.body['id']);

    await request('DELETE', `${service.url}/products/${id}`, { token: issuer.admin() });
    await request('DELETE', `${service.url}/products/${id}`, { token: issuer.admin() });
    await tap.next((event) => event.subject === id && event.type === 'product_deleted');
    // Nothing left to publish: a second product_deleted (or a repeat of either) would have gone by now.
    await waitFor(async () => ((await outboxOf(id)).length === 0 ? true : undefined), 10_000);

    const types = tap.events.filter((event) => event.subject === id).map((event) => event.type);
    assert.deepEqual(types, ['product_created', 'product_deleted']);
  });

  it('When the service cannot reach the broker and dies, then a restarted service publishes what it left in the outbox', async () => {
    const deadBroker = `amqp://app:app@127.0.0.1:${await freePort()}`;
    const isolated = await startProductService(issuer, { RABBITMQ_URL: deadBroker });
    let id: string;
    try {
      const created = await create(isolated.url);
      assert.equal(created.status, 201, 'creating a product does not need the broker');
      id = String(created.body['id']);
      assert.equal((await outboxOf(id)).length, 1);
    } finally {
      await isolated.kill();
    }

    // The suite's own service relays it (it polls for non-empty outboxes).
    const event = await tap.next((candidate) => candidate.subject === id, 20_000);

    assert.equal(event.type, 'product_created');
    await waitFor(async () => ((await outboxOf(id)).length === 0 ? true : undefined), 10_000);
  });

  it('When RabbitMQ is down while a product is created, then its product_created is published once the broker is back', { skip: faultSkip() }, async () => {
    const infra = testInfra();
    let id = '';
    await infra.stop('rabbitmq');
    try {
      const created = await create(service.url);
      assert.equal(created.status, 201);
      id = String(created.body['id']);
      assert.equal((await outboxOf(id)).length, 1, 'the event waits in the product document');
    } finally {
      await infra.start('rabbitmq');
    }

    const event = await tap.next((candidate) => candidate.subject === id, 90_000);

    assert.equal(event.type, 'product_created');
    await waitFor(async () => ((await outboxOf(id)).length === 0 ? true : undefined), 30_000);
  });
});
