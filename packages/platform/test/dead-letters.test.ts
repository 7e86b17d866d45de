import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { createEvent } from '@oip/contracts';
import { testInfra, waitFor } from '@oip/testkit';
import { AppError, BrokerConnection, createLogger, DeadLetters, dlqOf, EventConsumer, EventPublisher, handlerIsIdempotent, retryDelays, retryQueueOf, type DeadLetter } from '../src';

const infra = testInfra();
const logger = createLogger('dead-letters-test', 'fatal');
const RETRY_BASE_MS = 50;

/**
 * The dead-letter admin core against the real broker: a consumer of the test's own gives up on
 * "poison" events, and DeadLetters lists, replays and discards them in its DLQ.
 */
describe('DeadLetters on a real RabbitMQ dead-letter queue', () => {
  let broker: BrokerConnection;
  let publisher: EventPublisher;
  let raw: ChannelModel;
  let consumer: EventConsumer;
  let deadLetters: DeadLetters;
  const queue = `dead-letters-test-${randomUUID().slice(0, 8)}`;
  /** Products whose events the handler refuses, until the "fix" empties it. */
  const poisoned = new Set<string>();
  const handled: string[] = [];

  before(async () => {
    broker = new BrokerConnection(infra.rabbitmqUrl, logger, { name: 'dead-letters-test' });
    broker.start();
    await broker.whenConnected(20_000);
    publisher = new EventPublisher(broker, logger);
    await publisher.start();
    raw = await amqp.connect(infra.rabbitmqUrl);
    consumer = new EventConsumer(broker, logger, {
      queue,
      types: ['stock_low'],
      handler: async (event) => {
        const { productId } = event.data as { productId: string };
        if (poisoned.has(productId)) throw new Error(`no warehouse for ${productId}`);
        handled.push(event.id);
      },
      idempotency: handlerIsIdempotent,
      prefetch: 10,
      maxRetries: 1,
      retryBaseMs: RETRY_BASE_MS,
      queueExpiresMs: 10 * 60_000,
    });
    await consumer.start();
    deadLetters = new DeadLetters(broker, queue);
  });

  after(async () => {
    await consumer.stop();
    const channel = await raw.createChannel();
    for (const name of [queue, dlqOf(queue), ...retryDelays(RETRY_BASE_MS, 1).map((delay) => retryQueueOf(queue, delay))]) await channel.deleteQueue(name).catch(() => undefined);
    await raw.close();
    await broker.close();
  });

  /** Publishes a stock_low the consumer refuses; answers its id once it sits in the DLQ. */
  async function poison(): Promise<string> {
    const productId = randomUUID();
    poisoned.add(productId);
    const event = createEvent('stock_low', { productId, available: 1, threshold: 5 }, { source: '/test', subject: productId });
    await publisher.publish(event);
    await waitFor(async () => ((await deadLetters.list(500)).items.some((item) => item.messageId === event.id) ? true : undefined), 10_000, 50);
    return event.id;
  }

  const ids = async (): Promise<string[]> => (await deadLetters.list(500)).items.map((item) => item.messageId);

  it('When an event fails every retry, then it is listed with its type, queue, last error, attempts and time, and listing removes nothing', async () => {
    const first = await poison();
    await poison();

    const listed = await deadLetters.list(500);
    const again = await deadLetters.list(500);
    const entry = listed.items.find((item) => item.messageId === first) as DeadLetter;

    assert.deepEqual(
      { type: entry.type, queue: entry.queue, attempts: entry.attempts },
      { type: 'stock_low', queue, attempts: 2 },
    );
    assert.match(entry.error ?? '', /^no warehouse for [0-9a-f-]{36}$/);
    assert.ok(entry.deadLetteredAt && Date.now() - Date.parse(entry.deadLetteredAt) < 60_000, entry.deadLetteredAt ?? 'no time');
    assert.equal((entry.event as { id: string }).id, first);
    // Held and handed back, not consumed: the same messages in the same order, each once (a scan
    // that took a message twice, or requeued each one as it went, would show a repeat).
    assert.deepEqual(again.items.map((item) => item.messageId), listed.items.map((item) => item.messageId));
    assert.equal(new Set(listed.items.map((item) => item.messageId)).size, listed.items.length);
    assert.equal(listed.total, listed.items.length);
  });

  it('When the cause is fixed and the dead letter replayed, then the consumer handles it and the DLQ no longer holds it', async () => {
    const id = await poison();
    poisoned.clear();

    const replayed = await deadLetters.replay(id);
    await waitFor(() => (handled.includes(id) ? true : undefined), 10_000, 50);

    assert.equal(replayed.messageId, id);
    assert.ok(!(await ids()).includes(id));
  });

  it('When a replayed event fails again, then it returns to the DLQ with a fresh count of attempts', async () => {
    const id = await poison();

    await deadLetters.replay(id);
    const back = await waitFor(async () => (await deadLetters.list(500)).items.find((item) => item.messageId === id && item.attempts === 2), 10_000, 50);

    assert.match(back.error ?? '', /no warehouse/);
    assert.ok(!handled.includes(id));
  });

  it('When a dead letter is discarded, then it is gone and the others stay', async () => {
    const kept = await poison();
    const dropped = await poison();

    const discarded = await deadLetters.discard(dropped);
    const left = await ids();

    assert.equal(discarded.messageId, dropped);
    assert.ok(!left.includes(dropped));
    assert.ok(left.includes(kept));
  });

  it('When a message is not JSON, then it is listed under a digest of its body and can be discarded by it', async () => {
    const channel = await raw.createConfirmChannel();
    await new Promise<void>((resolve, reject) => channel.sendToQueue(queue, Buffer.from('not json at all'), { persistent: true }, (error) => (error ? reject(error as Error) : resolve())));
    await channel.close();
    const entry = await waitFor(async () => (await deadLetters.list(500)).items.find((item) => item.event === 'not json at all'), 10_000, 50);

    await deadLetters.discard(entry.messageId);

    assert.match(entry.messageId, /^sha256-[0-9a-f]{40}$/);
    assert.equal(entry.error, 'not JSON');
    assert.ok(!(await ids()).includes(entry.messageId));
  });

  it('When the id is unknown, then replay and discard fail with DEAD_LETTER.NOT_FOUND and nothing moves', async () => {
    const before = await ids();

    for (const action of [() => deadLetters.replay(randomUUID()), () => deadLetters.discard(randomUUID())]) {
      await assert.rejects(action, (error: unknown) => error instanceof AppError && error.code === 'DEAD_LETTER.NOT_FOUND');
    }
    assert.deepEqual(await ids(), before);
  });
});
