import { ApiRouter, authErrors, type AuthenticatedUser } from '@oip/platform';
import { ListNotificationsQuery, NotificationDetail, NotificationIdParams, NotificationPage } from './notifications.schemas';
import type { NotificationService } from './notifications.service';

/** HTTP entry points: parse (by the route spec), call one service method, answer. */
export function notificationsRouter(service: NotificationService): ApiRouter {
  return new ApiRouter('notifications')
    .route(
      {
        method: 'get',
        path: '/notifications',
        summary: 'List notifications, newest first: a user sees their own, an admin sees all (and may filter by customerId)',
        access: 'user',
        query: ListNotificationsQuery,
        response: NotificationPage,
        errors: [403],
      },
      ({ query, user }) => service.list(query, caller(user)),
    )
    .route(
      {
        method: 'get',
        path: '/notifications/:id',
        summary: 'Get one notification (its owner or an admin)',
        access: 'user',
        params: NotificationIdParams,
        response: NotificationDetail,
        errors: [403, 404],
      },
      ({ params, user }) => service.get(params.id, caller(user)),
    );
}

/** Non-public routes always have a caller; this only satisfies the type. */
function caller(user: AuthenticatedUser | undefined): AuthenticatedUser {
  if (!user) throw authErrors.tokenMissing();
  return user;
}
