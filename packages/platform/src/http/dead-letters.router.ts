import { z } from 'zod';
import type { DeadLetters } from '../messaging/dead-letters';
import { EntityId } from '../validation/input-rules';
import { ApiRouter } from './api-router';

/** The most dead letters one listing returns (each is held unacknowledged while it is read). */
export const MAX_DEAD_LETTERS_LISTED = 500;

export const DeadLetterListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_DEAD_LETTERS_LISTED).default(100),
});

export const DeadLetterIdParams = z.object({ messageId: EntityId });

export const DeadLetterView = z.object({
  messageId: z.string(),
  type: z.string().nullable(),
  queue: z.string(),
  error: z.string().nullable(),
  attempts: z.number().nullable(),
  deadLetteredAt: z.string().nullable(),
  event: z.unknown(),
});

export const DeadLetterListView = z.object({ queue: z.string(), total: z.number(), items: z.array(DeadLetterView) });

/** The Express adapter of the dead-letter admin API (the NestJS one is nest/dead-letters.controller.ts). */
export function deadLetterRouter(deadLetters: DeadLetters): ApiRouter {
  return new ApiRouter('admin')
    .route(
      {
        method: 'get',
        path: '/admin/dead-letters',
        summary: 'Events this service gave up on (its dead-letter queue), oldest first, with their last error; nothing is removed',
        access: 'admin',
        query: DeadLetterListQuery,
        response: DeadLetterListView,
        errors: [503],
      },
      ({ query }) => deadLetters.list(query.limit),
    )
    .route(
      {
        method: 'post',
        path: '/admin/dead-letters/:messageId/replay',
        summary: "Send a dead letter back to this service's queue with its retries reset (consumers are idempotent)",
        access: 'admin',
        params: DeadLetterIdParams,
        response: DeadLetterView,
        errors: [404, 503],
      },
      ({ params }) => deadLetters.replay(params.messageId),
    )
    .route(
      {
        method: 'post',
        path: '/admin/dead-letters/:messageId/discard',
        summary: 'Remove a dead letter for good',
        access: 'admin',
        params: DeadLetterIdParams,
        response: DeadLetterView,
        errors: [404, 503],
      },
      ({ params }) => deadLetters.discard(params.messageId),
    );
}
