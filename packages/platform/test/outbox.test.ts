import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { createEvent, type CloudEvent } from '@oip/contracts';
import { assertTestDatabaseName, testInfra, waitFor } from '@oip/testkit';
import { DataSource } from 'typeorm';
import { BrokerConnection, createLogger, createMetrics, EventPublisher } from '../src';
import { createOutboxTable, enqueueEvent, OutboxEntity, OutboxRelay } from '../src/outbox';

const infra = testInfra();
const logger = createLogger('outbox-test', 'warn');
const schema = `outbox_test_${randomUUID().slice(0, 8)}`;

/** One "instance": its own pool, broker connection and relay, on the shared outbox table. */
async function instance(): Promise<{ dataSource: DataSource; relay: OutboxRelay; close(): Promise<void> }> {
  const dataSource = new DataSource({
    type: 'postgres',
    ...infra.postgres,
    username: infra.postgres.user,
    database: assertTestDatabaseName('users_test'),
    entities: [OutboxEntity],
    extra: { options: `-c search_path=${schema}` },
  });
  await dataSource.initialize();
  const broker = new BrokerConnection(infra.rabbitmqUrl, logger, { name: 'outbox-test' });
  const publisher = new EventPublisher(broker, logger);
  await publisher.start();
  broker.start();
  const relay = new OutboxRelay(dataSource, publisher, logger, createMetrics('outbox-test'), { pollIntervalMs: 50, batchSize: 7 });
  return {
    dataSource,
    relay,
    async close() {
      await relay.stop();
      await broker.close();
      await dataSource.destroy();
    },
  };
}

describe('Transactional outbox relay', () => {
  let admin: DataSource;
  let connection: ChannelModel;
  let channel: Channel;
  const received: string[] = [];

  before(async () => {
    admin = new DataSource({ type: 'postgres', ...infra.postgres, username: infra.postgres.user, database: 'users_test' });
    await admin.initialize();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const runner = admin.createQueryRunner();
    await runner.query(`SET search_path = ${schema}`);
    await createOutboxTable(runner);
    await runner.release();
    connection = await amqp.connect(infra.rabbitmqUrl);
    channel = await connection.createChannel();
    await channel.assertExchange('domain-events', 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, 'domain-events', 'user_registered');
    await channel.consume(queue, (message) => {
      if (message) received.push((JSON.parse(message.content.toString()) as CloudEvent).id);
    }, { noAck: true });
  });

  after(async () => {
    await channel.purgeQueue('notification-service').catch(() => undefined);
    await connection.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.destroy();
  });

  /** Publishes a marker straight to the exchange and waits for it: what was queued before it has been received. */
  const behindEverythingQueued = async (): Promise<void> => {
    const marker = newEvent();
    channel.publish('domain-events', 'user_registered', Buffer.from(JSON.stringify(marker)));
    await waitFor(() => (received.includes(marker.id) ? true : undefined), 10_000);
  };

  const newEvent = () => {
    const userId = randomUUID();
    return createEvent('user_registered', { userId, email: `${userId}@example.test`, name: 'Outbox' }, { source: '/outbox-test', subject: userId });
  };

  it('When two relays run on one outbox, then every event is published exactly once and marked sent', async () => {
    const [first, second] = await Promise.all([instance(), instance()]);
    const events = Array.from({ length: 60 }, newEvent);
    try {
      first.relay.start();
      second.relay.start();
      // Written in several transactions from both instances while the relays run.
      for (let index = 0; index < events.length; index += 6) {
        const source = index % 12 === 0 ? first : second;
        await source.dataSource.transaction(async (manager) => {
          for (const event of events.slice(index, index + 6)) await enqueueEvent(manager, event);
        });
      }

      await waitFor(() => (events.every((event) => received.includes(event.id)) ? true : undefined), 20_000);
      // Once every row is marked sent no relay publishes it again; a copy published before that is
      // queued ahead of the marker, so it has arrived when the marker has.
      const unsent = await waitFor(async () => {
        const [row] = await admin.query<Array<{ unsent: number }>>(`SELECT count(*)::int AS unsent FROM ${schema}.outbox WHERE sent_at IS NULL`);
        return row?.unsent === 0 ? row.unsent : undefined;
      }, 10_000);
      await behindEverythingQueued();

      for (const event of events) assert.equal(received.filter((id) => id === event.id).length, 1, event.id);
      assert.equal(unsent, 0);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('When a transaction that enqueued an event rolls back, then nothing is published', async () => {
    const node = await instance();
    const event = newEvent();
    try {
      node.relay.start();
      await assert.rejects(
        node.dataSource.transaction(async (manager) => {
          await enqueueEvent(manager, event);
          throw new Error('the state change failed');
        }),
      );
      // The relay publishes in commit order: once an event committed afterwards is out, the rolled
      // back one would have been too.
      const later = newEvent();
      await node.dataSource.transaction((manager) => enqueueEvent(manager, later));
      await waitFor(() => (received.includes(later.id) ? true : undefined), 10_000);

      assert.ok(!received.includes(event.id));
    } finally {
      await node.close();
    }
  });

  it('When enqueueEvent is called outside a transaction, then it refuses', async () => {
    const node = await instance();
    try {
      await assert.rejects(enqueueEvent(node.dataSource.manager, newEvent()), /open transaction/);
    } finally {
      await node.close();
    }
  });
});
