import { subscriptions } from '@oip/contracts';
import { dispatchByType, EventConsumer, missingHandlers, type HandlerTable, type ServiceKit } from '@oip/platform';
import { mongoIdempotency } from '@oip/platform/mongo';
import type { Connection } from 'mongoose';
import type { OrderStockService } from '../stock/order-stock.service';
import type { StockService } from '../stock/stock.service';

export const QUEUE = 'inventory-service';

/** Each handler parses nothing (the consumer validated the contract) and calls one use case. */
export function inventoryHandlers(stock: StockService, orders: OrderStockService): HandlerTable {
  return {
    product_created: (event) => stock.createForProduct(event.data),
    product_deleted: (event) => stock.retireProduct(event.data),
    order_created: (event) => orders.reserveOrder(event.data),
    order_cancelled: (event) => orders.releaseOrder(event.data),
    order_shipped: (event) => orders.deductOrder(event.data),
  };
}

export function inventoryConsumer(
  kit: ServiceKit,
  db: Connection,
  handlers: HandlerTable,
  options: { prefetch: number; maxRetries: number; retryBaseMs: number },
): EventConsumer {
  const types = subscriptions[QUEUE];
  const missing = missingHandlers(types, handlers);
  if (missing.length > 0) kit.logger.warn({ missing }, 'subscribed event types without a handler will be retried and dead-lettered');
  return new EventConsumer(
    kit.requireBroker(),
    kit.logger,
    { queue: QUEUE, types, handler: dispatchByType(QUEUE, handlers), idempotency: mongoIdempotency(db), ...options },
    kit.metrics,
  );
}
