import { Inject, Injectable } from '@nestjs/common';
import type { CloudEvent } from '@oip/contracts';
import type { Logger } from '@oip/platform';
import { LOGGER } from '@oip/platform/nest';
import { orderCancelled, orderConfirmed, orderRejected, type Causation } from './order-events';
import { checkTransition } from './order-status';
import type { OrderRecord } from './order-view';
import type { StockOutcome } from './order.entity';
import { OrdersRepository } from './orders.repository';

/**
 * Saga step 3: inventory's answer moves a PENDING order to CONFIRMED or REJECTED. Runs inside the
 * event's transaction (the platform inbox), so the answer is recorded, the status changed, the
 * resulting event enqueued and the event id marked as handled all at once — or not at all, and
 * the event is retried.
 *
 * An answer can find the order CANCELLED: its owner cancelled it while inventory was still
 * working. Inventory may have reserved after (or while) it would have released, so the
 * cancellation of a PENDING order is announced only now, with inventory's answer in hand: the
 * order_cancelled it receives is certain to follow its own reservation, and the one hold there is
 * released. A rejected order had nothing held; the event still tells the customer.
 */
@Injectable()
export class OrderSagaService {
  constructor(
    private readonly orders: OrdersRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  stockReserved(event: CloudEvent<'stock_reserved'>): Promise<void> {
    return this.answer(event, 'RESERVED', (order, causation) => orderConfirmed(order, causation));
  }

  stockRejected(event: CloudEvent<'stock_rejected'>): Promise<void> {
    return this.answer(event, 'REJECTED', (order, causation) => orderRejected(order, event.data, causation));
  }

  private async answer(event: CloudEvent<'stock_reserved' | 'stock_rejected'>, outcome: StockOutcome, resultOf: (order: OrderRecord, causation: Causation) => CloudEvent): Promise<void> {
    const orderId = event.data.orderId;
    const causation: Causation = { correlationId: event.correlationid, causationId: event.id };
    if (!(await this.orders.recordStockOutcome(orderId, outcome))) {
      // Not ours (another deployment's order on a shared broker) or already answered (inventory
      // answers a redelivered order_created again, under another event id): nothing to do.
      this.logger.warn({ orderId, eventId: event.id, type: event.type }, 'stock answer for an unknown or already answered order, ignored');
      return;
    }
    const order = await this.orders.findById(orderId);
    if (!order) throw new Error(`order ${orderId} vanished inside its own transaction`);
    const to = outcome === 'RESERVED' ? 'CONFIRMED' : 'REJECTED';
    if (checkTransition(order.status, to, 'system') === 'allowed') {
      // The row is locked by recordStockOutcome, so the conditional update cannot lose.
      const changed = await this.orders.transition(orderId, order.status, to, (current) => [resultOf(current, causation)]);
      if (!changed) throw new Error(`order ${orderId} changed under its row lock`);
      this.logger.info({ orderId, status: to }, 'order answered by inventory');
      return;
    }
    if (order.status === 'CANCELLED') {
      await this.orders.enqueue(orderCancelled(order, causation));
      this.logger.info({ orderId, outcome }, 'order cancelled while pending: cancellation announced after inventory answered');
      return;
    }
    this.logger.warn({ orderId, status: order.status, outcome }, 'stock answer for an order past PENDING, ignored');
  }
}
