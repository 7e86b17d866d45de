import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { CloudEvent } from '@oip/contracts';
import { HandlerErrorPassThrough } from '@oip/platform/nest';
import { OrderSagaService } from './order-saga.service';

export const ORDER_QUEUE = 'order-service';

/**
 * Inventory's answers, from the `order-service` queue. The platform transport has validated each
 * event against its contract and acks it only after the handler's transaction committed; a throw
 * sends it through retries to the dead-letter queue.
 */
@Controller()
@UseFilters(HandlerErrorPassThrough)
export class OrdersConsumer {
  constructor(private readonly saga: OrderSagaService) {}

  @EventPattern('stock_reserved')
  stockReserved(@Payload() event: CloudEvent<'stock_reserved'>): Promise<void> {
    return this.saga.stockReserved(event);
  }

  @EventPattern('stock_rejected')
  stockRejected(@Payload() event: CloudEvent<'stock_rejected'>): Promise<void> {
    return this.saga.stockRejected(event);
  }
}
