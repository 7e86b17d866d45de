import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createEvent, type CloudEvent } from '@oip/contracts';
import { request, testInfra, waitFor, type ServiceProcess } from '@oip/testkit';
import { Client } from 'pg';
import { purgeNotificationQueue, startUserService, uniqueEmail, USER_DB } from './support';

/** user_registered leaves through the transactional outbox and reaches the real broker. */
describe('user_registered through the outbox', () => {
  let users: ServiceProcess & { jwksUrl: string };
  let db: Client;
  let connection: ChannelModel;
  let channel: Channel;
  const received: CloudEvent[] = [];

  before(async () => {
    const infra = testInfra();
    db = new Client({ ...infra.postgres, database: USER_DB });
    await db.connect();
    connection = await amqp.connect(infra.rabbitmqUrl);
    channel = await connection.createChannel();
    await channel.assertExchange('domain-events', 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, 'domain-events', 'user_registered');
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (message) received.push(JSON.parse(message.content.toString('utf8')) as CloudEvent);
    }, { noAck: true });
    users = await startUserService();
  });

  after(async () => {
    await users?.stop();
    await connection?.close();
    await db?.end();
    await purgeNotificationQueue();
  });

  const eventFor = (userId: string) => waitFor(() => received.find((event) => event.subject === userId), 15_000);

  it('When a user registers, then user_registered reaches RabbitMQ with the request id as correlation id, and the row is marked sent', async () => {
    const requestId = `events-${randomUUID()}`;
    const email = uniqueEmail('event');

    const answer = await request<{ id: string }>('POST', `${users.url}/auth/register`, { body: { email, password: 'long-enough-pw', name: 'Eve' }, headers: { 'x-request-id': requestId } });
    const event = await eventFor(answer.body.id);

    assert.equal(answer.status, 201);
    assert.equal(event.type, 'user_registered');
    assert.equal(event.source, '/user-service');
    assert.equal(event.correlationid, requestId);
    assert.deepEqual(event.data, { userId: answer.body.id, email, name: 'Eve' });
    const row = await waitFor(async () => {
      const { rows } = await db.query<{ sent_at: Date | null }>('SELECT sent_at FROM outbox WHERE id = $1', [event.id]);
      return rows[0]?.sent_at ? rows[0] : undefined;
    });
    assert.ok(row.sent_at);
  });

  it('When registration fails (duplicate e-mail), then no event is written', async () => {
    const email = uniqueEmail('once');
    await request('POST', `${users.url}/auth/register`, { body: { email, password: 'long-enough-pw', name: 'Once' } });

    const again = await request('POST', `${users.url}/auth/register`, { body: { email, password: 'long-enough-pw', name: 'Twice' } });
    const { rows } = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM outbox WHERE payload->'data'->>'email' = $1`, [email]);

    assert.equal(again.status, 409);
    assert.equal(rows[0]?.count, 1);
  });

  it('When events were committed while no relay ran, then the relay publishes them once the service is back', async () => {
    await users.stop();
    const userId = randomUUID();
    const event = createEvent('user_registered', { userId, email: uniqueEmail('offline'), name: 'Offline' }, { source: '/user-service', subject: userId });
    await db.query('INSERT INTO outbox (id, type, payload) VALUES ($1, $2, $3)', [event.id, event.type, JSON.stringify(event)]);

    users = await startUserService();
    const published = await eventFor(userId);

    assert.equal(published.id, event.id);
    await waitFor(async () => {
      const { rows } = await db.query<{ sent_at: Date | null }>('SELECT sent_at FROM outbox WHERE id = $1', [event.id]);
      return rows[0]?.sent_at ? true : undefined;
    });
    assert.equal(received.filter((candidate) => candidate.id === event.id).length, 1);
  });

  it('When scraped, then /metrics reports the outbox lag', async () => {
    const text = await waitFor(async () => {
      const body = await (await fetch(`${users.url}/metrics`)).text();
      return /outbox_pending_events\{[^}]*\} 0/.test(body) ? body : undefined;
    });

    assert.match(text, /outbox_oldest_pending_age_seconds/);
  });
});
