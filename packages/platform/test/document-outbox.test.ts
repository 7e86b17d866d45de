import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import mongoose, { type Connection } from 'mongoose';
import { createEvent, type CloudEvent } from '@oip/contracts';
import { assertTestDatabaseName, testInfra, waitFor } from '@oip/testkit';
import { BrokerConnection, createLogger, EventPublisher } from '../src';
import { DocumentOutboxRelay, VersionedCollection, type StringIdCollection } from '../src/mongo';

const infra = testInfra();
const logger = createLogger('outbox-test', 'warn');

interface Outboxed {
  _id: string;
  version: number;
  n: number;
  outbox: CloudEvent[];
}

describe('DocumentOutboxRelay against a real MongoDB-wire server and broker', () => {
  let broker: BrokerConnection;
  let publisher: EventPublisher;
  let db: Connection;

  before(async () => {
    broker = new BrokerConnection(infra.rabbitmqUrl, logger, { name: 'outbox-test' });
    broker.start();
    await broker.whenConnected(20_000);
    publisher = new EventPublisher(broker, logger);
    await publisher.start();
    db = await mongoose.createConnection(infra.mongoUrl, { dbName: assertTestDatabaseName('platform_outbox_test'), retryWrites: false }).asPromise();
    // The relay reads the whole collection: start without what an interrupted run left.
    await db.dropDatabase();
  });

  after(async () => {
    await broker.close();
    // stock_low is routed to notification-service's queue: leave it no test events.
    const admin = await amqp.connect(infra.rabbitmqUrl);
    const channel = await admin.createChannel();
    await channel.purgeQueue('notification-service').catch(() => undefined);
    await admin.close();
    await db.dropDatabase();
    await db.close();
  });

  const docs = () => db.collection('outboxed') as unknown as StringIdCollection;
  const versioned = () => new VersionedCollection<Outboxed>(docs(), db.collection('outboxed_history') as unknown as StringIdCollection);
  const stockLow = () => {
    const productId = randomUUID();
    return createEvent('stock_low', { productId, available: 1, threshold: 5 }, { source: '/outbox-test', subject: productId });
  };
  const removeWith = (collection: VersionedCollection<Outboxed>) => (id: string, eventId: string) =>
    collection.update(id, (current) =>
      current?.outbox.some((event) => event.id === eventId)
        ? { kind: 'change', next: { n: current.n, outbox: current.outbox.filter((event) => event.id !== eventId) }, result: () => true }
        : { kind: 'unchanged', result: false },
    );

  it('When a document holds events, then the relay publishes and removes them and clears its outboxPending flag', async () => {
    const collection = versioned();
    const id = `flagged-${randomUUID()}`;
    await collection.insert({ _id: id, n: 0, outbox: [stockLow(), stockLow()] });
    const relay = new DocumentOutboxRelay({ collection: docs(), publisher, logger, remove: removeWith(collection), pollIntervalMs: 100 });

    relay.start();
    try {
      await waitFor(async () => ((await docs().countDocuments({ _id: id, 'outbox.id': { $exists: true } })) === 0 ? true : undefined), 10_000);
    } finally {
      await relay.stop();
    }

    const stored = await docs().findOne({ _id: id });
    assert.deepEqual([stored?.['outbox'], stored?.['outboxPending']], [[], false]);
  });

  it('When one document holds an event its contract refuses, then the other documents\' events are still published', async () => {
    const collection = versioned();
    const [brokenId, goodId] = [`broken-${randomUUID()}`, `good-${randomUUID()}`];
    const broken = { ...stockLow(), subject: null } as unknown as CloudEvent;
    await collection.insert({ _id: brokenId, n: 0, outbox: [broken] });
    await collection.insert({ _id: goodId, n: 0, outbox: [stockLow()] });
    const relay = new DocumentOutboxRelay({ collection: docs(), publisher, logger: createLogger('outbox-test', 'silent'), remove: removeWith(collection), pollIntervalMs: 100 });

    relay.start();
    try {
      await waitFor(async () => ((await docs().countDocuments({ _id: goodId, 'outbox.id': { $exists: true } })) === 0 ? true : undefined), 10_000);
    } finally {
      await relay.stop();
    }

    const kept = (await docs().findOne({ _id: brokenId })) as unknown as { outbox: unknown[] } | null;
    assert.equal(kept?.outbox.length, 1, 'the refused event stays for a person to look at');
    await docs().deleteOne({ _id: brokenId });
  });

  it('When an event cannot be removed, then the relay tries again at its next poll instead of republishing it in a loop', async () => {
    const id = `stuck-${randomUUID()}`;
    await versioned().insert({ _id: id, n: 0, outbox: [stockLow()] });
    let removals = 0;
    const relay = new DocumentOutboxRelay({
      collection: docs(),
      publisher,
      logger,
      pollIntervalMs: 300,
      remove: () => {
        removals += 1;
        return Promise.resolve(false);
      },
    });

    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await relay.stop();
    await docs().deleteOne({ _id: id });

    // About one attempt per poll (1 s / 300 ms); a tight loop makes hundreds.
    assert.ok(removals >= 1 && removals <= 6, `${removals} removal attempts in 1 s`);
  });
});
