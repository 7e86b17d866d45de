import { AppError, EventInProgressError } from '@oip/platform';

/** Domain errors of notifications, with stable codes; the platform maps their kind to a status. */
export const notificationErrors = {
  notFound: (id: string) => new AppError('not_found', 'NOTIFICATION.NOT_FOUND', `Notification ${id} was not found`),
  notYours: (id: string) => new AppError('forbidden', 'NOTIFICATION.FORBIDDEN', `Notification ${id} belongs to someone else`),
  customerFilterForbidden: () => new AppError('forbidden', 'NOTIFICATION.FORBIDDEN', 'Only admins list notifications of other customers'),
};

/**
 * Another delivery of the same event holds the notification's send lease (60 s) right now: the
 * consumer tries again later, by when the holder has finished or its lease has expired.
 */
export class NotificationBusyError extends EventInProgressError {}

/** The SMTP attempt failed and will be retried: thrown so the consumer redelivers with backoff. */
export class MailDeliveryError extends Error {
  readonly code = 'NOTIFICATION.DELIVERY_FAILED';
}
