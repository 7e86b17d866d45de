import { EntityId, PageQuery } from '@oip/platform';
import { z } from 'zod';
import { notificationStatuses } from './notification.model';
import { notifiableTypes } from './templates';

export const ListNotificationsQuery = PageQuery.extend({
  type: z.enum(notifiableTypes).optional(),
  status: z.enum(notificationStatuses).optional(),
  /** Admins only: the notifications of one customer. */
  customerId: EntityId.optional(),
});
export type ListNotificationsInput = z.infer<typeof ListNotificationsQuery>;

export const NotificationIdParams = z.object({ id: EntityId });

export const NotificationView = z.object({
  id: z.string(),
  type: z.enum(notifiableTypes),
  eventId: z.string(),
  orderId: z.string().optional(),
  customerId: z.string().optional().describe('The owner; absent for operations notices (stock_low), which only admins see'),
  recipient: z.string(),
  channel: z.literal('email'),
  subject: z.string(),
  status: z.enum(notificationStatuses),
  attempts: z.number().int(),
  lastError: z.string().optional().describe('Admins only: why the last attempt failed'),
  createdAt: z.string(),
  sentAt: z.string().optional(),
});

export const NotificationDetail = NotificationView.extend({ text: z.string().describe('The plain-text body that was (or will be) sent') });

export const NotificationPage = z.object({ items: z.array(NotificationView), page: z.number(), limit: z.number(), total: z.number() });
