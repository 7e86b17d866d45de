import type { Channel } from 'amqplib';
import { subscriptions, type EventType } from '@oip/contracts';

/**
 * The broker layout, declared identically by every process (declarations are idempotent, and
 * every process declaring every consumer queue means no event is published before its queue
 * exists). Per consuming service:
 *   - `<service>`              quorum queue bound to the event types it handles
 *   - `<service>.retry.<ms>`   classic queues holding a failed message for <ms>, then back to `<service>`
 *   - `<service>.dlq`          quorum queue of messages that failed every retry, for a human to look at
 */
export const EXCHANGE = 'domain-events';
/** Deliveries (crashes included) after which the broker itself dead-letters a poison message. */
const DELIVERY_LIMIT = 20;

export const dlqOf = (queue: string) => `${queue}.dlq`;
export const retryQueueOf = (queue: string, delayMs: number) => `${queue}.retry.${delayMs}ms`;

/** Exponential backoff: base, 2×base, 4×base ... for attempts 1, 2, 3 ... */
export function retryDelays(baseMs: number, maxRetries: number): number[] {
  return Array.from({ length: maxRetries }, (_, attempt) => baseMs * 2 ** attempt);
}

export async function assertExchange(channel: Channel): Promise<void> {
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
}

export async function assertConsumerQueue(
  channel: Channel,
  queue: string,
  types: readonly EventType[],
  delays: number[],
  /** Only for throwaway queues (tests): the broker deletes them after this long unused. */
  expiresMs?: number,
): Promise<void> {
  const expires = expiresMs === undefined ? {} : { 'x-expires': expiresMs };
  await assertExchange(channel);
  await channel.assertQueue(dlqOf(queue), { durable: true, arguments: { 'x-queue-type': 'quorum', ...expires } });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      ...expires,
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': dlqOf(queue),
    },
  });
  for (const type of types) await channel.bindQueue(queue, EXCHANGE, type);
  for (const delay of delays) {
    await channel.assertQueue(retryQueueOf(queue, delay), {
      durable: true,
      arguments: {
        ...expires,
        'x-queue-type': 'classic',
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    });
  }
}

/**
 * Declares the exchange and every service's queue and bindings from the contracts table, so that
 * an event published before its consumer ever started still waits in the consumer's queue. Retry
 * queues are the consumer's own business and are declared by it.
 */
export async function assertPlatformTopology(channel: Channel): Promise<void> {
  for (const [queue, types] of Object.entries(subscriptions)) {
    await assertConsumerQueue(channel, queue, types, []);
  }
}
