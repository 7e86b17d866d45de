import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class OrderIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class CustomerIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  customerId!: string;
}
