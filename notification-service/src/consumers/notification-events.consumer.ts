import { subscriptions } from '@oip/contracts';
import { EventConsumer, handlerIsIdempotent, routeEvents, type ServiceKit } from '@oip/platform';
import type { NotificationService } from '../notifications/notifications.service';
import { isNotifiable } from '../notifications/templates';

export const QUEUE = 'notification-service';

/**
 * Thin: the platform consumer has validated the event against its contract; this narrows it to the
 * types we handle and hands it to the service. No per-event idempotency record: the notification's
 * unique (eventId, recipient) index and its send-attempt claim already make a redelivery harmless
 * without the record's extra round trips.
 */
export function notificationEventsConsumer(
  kit: ServiceKit,
  service: NotificationService,
  options: { prefetch: number; maxRetries: number; retryBaseMs: number },
): EventConsumer {
  return new EventConsumer(
    kit.requireBroker(),
    kit.logger,
    {
      queue: QUEUE,
      types: subscriptions[QUEUE],
      idempotency: handlerIsIdempotent,
      handler: routeEvents(QUEUE, (event) => (isNotifiable(event) ? service.handleEvent(event) : undefined)),
      ...options,
    },
    kit.metrics,
  );
}
