import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ORDER_STATUSES, type OrderStatus } from '../order-status';

export class UpdateStatusDto {
  @ApiProperty({ enum: ORDER_STATUSES, example: 'SHIPPED', description: 'Admins ship and deliver; owners and admins may cancel. Anything else is 409.' })
  @IsIn(ORDER_STATUSES, { message: `status must be one of: ${ORDER_STATUSES.join(', ')}` })
  status!: OrderStatus;
}
