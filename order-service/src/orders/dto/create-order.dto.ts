import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEntityId } from '@oip/platform/nest';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsString, Max, Min, ValidateNested } from 'class-validator';

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

export class OrderLineDto {
  @ApiProperty({ description: 'product-service id of the product', example: '6650c0ffee0000000000beef', maxLength: 64 })
  @IsString()
  @IsEntityId()
  productId!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_QUANTITY, example: 2 })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}

/**
 * Only what the customer chooses: products and quantities. Names, prices and the total come from
 * product-service at the moment of ordering; a client that sends them (or any other field) gets a
 * 400, because unknown fields are refused rather than silently dropped.
 */
export class CreateOrderDto {
  @ApiProperty({ type: [OrderLineDto], minItems: 1, maxItems: MAX_LINES, description: 'One line per product (a product may appear once)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @ArrayUnique((line: OrderLineDto | undefined) => line?.productId, { message: 'each product may appear only once; add up the quantities' })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];
}
