import { subscriptions } from '@oip/contracts';
import { EventConsumer, type ServiceKit } from '@oip/platform';
import { mongoIdempotency } from '@oip/platform/mongo';
import type { Connection } from 'mongoose';
import type { NotificationService } from '../notifications/notifications.service';
import { isNotifiable } from '../notifications/templates';

export const QUEUE = 'notification-service';

/** An event of a type we are not subscribed to: retried, then dead-lettered, never acked silently. */
export class UnhandledEventTypeError extends Error {
  readonly code = 'EVENT.UNHANDLED_TYPE';
}

/**
 * Thin: the platform consumer has validated the event against its contract; this narrows it to the
 * types we handle and hands it to the service. The event-id idempotency is a first filter only —
 * the notification's unique (eventId, recipient) index and its attempt claim are what make a
 * redelivery harmless, even when the idempotency record is gone.
 */
export function notificationEventsConsumer(
  kit: ServiceKit,
  db: Connection,
  service: NotificationService,
  options: { prefetch: number; maxRetries: number; retryBaseMs: number },
): EventConsumer {
  return new EventConsumer(
    kit.requireBroker(),
    kit.logger,
    {
      queue: QUEUE,
      types: subscriptions[QUEUE],
      idempotency: mongoIdempotency(db),
      handler: async (event) => {
        if (!isNotifiable(event)) throw new UnhandledEventTypeError(`notification-service does not handle ${event.type} (event ${event.id})`);
        await service.handleEvent(event);
      },
      ...options,
    },
    kit.metrics,
  );
}
