import { z } from 'zod';

/** The largest page any list answers; larger `limit`s are capped, not refused. */
export const MAX_PAGE_SIZE = 100;
/** The highest page number any list accepts: `(page - 1) * limit` must stay a sane offset for the database. */
export const MAX_PAGE = 100_000;

/**
 * `?page=&limit=` of every Express list (docs/architecture.md, validation row; the NestJS services use PageQueryDto);
 * `.extend()` it with a list's own filters.
 */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
  /** Larger values are capped at MAX_PAGE_SIZE. */
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .transform((limit) => Math.min(limit, MAX_PAGE_SIZE)),
});
