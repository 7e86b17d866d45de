import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { productCatalogue } from '../catalogue/product-catalogue';
import { OrderItemEntity } from './order-item.entity';
import { OrderSagaService } from './order-saga.service';
import { OrderEntity } from './order.entity';
import { OrdersConsumer } from './orders.consumer';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { OrderMetrics } from './order-metrics';
import { PendingOrderSweeper } from './pending-order.sweeper';

/** The orders capability: placing orders, following them through the saga, and timing out those it never answers. */
@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity, OrderItemEntity])],
  controllers: [OrdersController, OrdersConsumer],
  providers: [OrdersRepository, OrdersService, OrderSagaService, productCatalogue, PendingOrderSweeper, OrderMetrics],
})
export class OrdersModule {}
