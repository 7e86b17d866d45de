import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderItemEntity } from './order-item.entity';
import { OrderEntity } from './order.entity';

/** The orders capability: placing orders and following them through the saga. */
@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity, OrderItemEntity])],
})
export class OrdersModule {}
