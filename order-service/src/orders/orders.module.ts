import { Module } from '@nestjs/common';
import { productCatalogue } from '../catalogue/product-catalogue';
import { OrderSagaService } from './order-saga.service';
import { OrderStatusStreams } from './order-status.streams';
import { OrdersConsumer } from './orders.consumer';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { OrderMetrics } from './order-metrics';
import { PendingOrderSweeper } from './pending-order.sweeper';

/** The orders capability: placing orders, following them through the saga, and timing out those it never answers. */
@Module({
  controllers: [OrdersController, OrdersConsumer],
  providers: [OrdersRepository, OrdersService, OrderSagaService, productCatalogue, PendingOrderSweeper, OrderStatusStreams, OrderMetrics],
})
export class OrdersModule {}
