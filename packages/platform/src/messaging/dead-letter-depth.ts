import type { Metrics } from '../metrics';
import type { BrokerConnection } from './broker-connection';
import { dlqOf } from './topology';

/**
 * `dead_letter_queue_messages{queue}`: how many messages wait in the consumer's DLQ, asked of the
 * broker at scrape time (a passive declare on a short channel of its own, so a failure cannot
 * close the consumer's channel). Every instance of a service reports the same queue; alerts take
 * the `max` over instances.
 */
export function observeDeadLetterDepth(metrics: Metrics, broker: BrokerConnection, queue: string): void {
  metrics.observe('dead_letter_queue_messages', 'Messages waiting in a dead-letter queue (<queue>.dlq) for an operator', ['queue'], async () => {
    if (!broker.isConnected) return [];
    const { messageCount } = await broker.withChannel((channel) => channel.checkQueue(dlqOf(queue)));
    return [{ labels: { queue }, value: messageCount }];
  });
}
