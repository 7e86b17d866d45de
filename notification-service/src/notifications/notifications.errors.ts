import { AppError } from '@oip/platform';

/** Domain errors of notifications, with stable codes; the platform maps their kind to a status. */
export const notificationErrors = {
  notFound: (id: string) => new AppError('not_found', 'NOTIFICATION.NOT_FOUND', `Notification ${id} was not found`),
  notYours: (id: string) => new AppError('forbidden', 'NOTIFICATION.FORBIDDEN', `Notification ${id} belongs to someone else`),
  customerFilterForbidden: () => new AppError('forbidden', 'NOTIFICATION.FORBIDDEN', 'Only admins list notifications of other customers'),
};

/**
 * Another delivery of the same event holds the notification's send lease right now. Thrown from
 * the event handler so the consumer retries later, by when the holder has finished (or its lease
 * has expired and the notification can be claimed again). The platform's `EVENT.IN_PROGRESS` code
 * makes the consumer wait without spending a retry: a lease (60 s) can outlast the whole retry
 * budget, and a notification whose holder died must not be dead-lettered unsent.
 */
export class NotificationBusyError extends Error {
  readonly code = 'EVENT.IN_PROGRESS';
}

/** The SMTP attempt failed and will be retried: thrown so the consumer redelivers with backoff. */
export class MailDeliveryError extends Error {
  readonly code = 'NOTIFICATION.DELIVERY_FAILED';
}
