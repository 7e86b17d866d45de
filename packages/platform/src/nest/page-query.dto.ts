import type { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

import { MAX_PAGE, MAX_PAGE_SIZE } from '../http/page-query';

export { MAX_PAGE, MAX_PAGE_SIZE };

/** `?page=&limit=` of every NestJS list (docs/architecture.md, validation row); extend it with a list's own filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 20, description: `Larger values are capped at ${MAX_PAGE_SIZE}` })
  @IsOptional()
  // Capped, not refused, as the Express PageQuery does.
  @Transform(({ value }: { value: unknown }) => (value === undefined ? value : Math.min(Number(value), MAX_PAGE_SIZE)))
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit: number = 20;
}

/**
 * The answer of every NestJS list, `{ items, page, limit, total }`, documented with its item type:
 * `export class OrderPage extends PageOf(OrderView) {}`.
 */
export function PageOf<T>(item: Class<T>) {
  class Page {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({ example: 1 })
    page!: number;

    @ApiProperty({ example: 20 })
    limit!: number;

    @ApiProperty({ example: 42 })
    total!: number;
  }
  return Page;
}
