import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@oip/platform/nest';
import { ORDER_STATUSES, type OrderStatus } from '../order-status';

export class PageQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` })
  status?: OrderStatus;
}

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admins: one customer\'s orders. Others may only name themselves.' })
  @IsOptional()
  @IsUUID()
  customerId?: string;
}
