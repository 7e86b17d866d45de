import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProductCatalogue } from '../catalogue/product-catalogue';
import { OrderItemEntity } from './order-item.entity';
import { OrderSagaService } from './order-saga.service';
import { OrderEntity } from './order.entity';
import { OrdersConsumer } from './orders.consumer';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';

/** The orders capability: placing orders and following them through the saga. */
@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity, OrderItemEntity])],
  controllers: [OrdersController, OrdersConsumer],
  providers: [OrdersRepository, OrdersService, OrderSagaService, ProductCatalogue],
})
export class OrdersModule {}
