import { Inject, Injectable } from '@nestjs/common';
import type { Causation, CloudEvent } from '@oip/contracts';
import type { Logger } from '@oip/platform';
import { LOGGER } from '@oip/platform/nest';
import { eventToRecord } from '@oip/platform/outbox';
import { orderCancelled, orderConfirmed, orderRejected, orderRelease } from './order-events';
import { checkTransition } from './order-status';
import type { OrderRecord } from './order-view';
import type { StockOutcome, StockRejection } from './order.entity';
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
 * released. A rejected order had nothing held; the event still tells the customer. When the
 * answer is late, the sweeper announces the cancellation without it (pending-order.sweeper.ts: the
 * timeout's own cancellations, and a person's that waited too long): a reservation arriving after
 * that is released by an event of its own.
 *
 * The first answer decides the order; a later one never changes it. A reservation after a
 * rejection (a redelivered order_created that met restocked shelves) means inventory holds stock
 * for an order that will never ship: it is released. A rejection after a reservation leaves the
 * confirmed order and its hold as they are, and is logged as a conflict for a person to look at.
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
    return this.answer(event, 'REJECTED', (order, causation) => orderRejected(order, event.data, causation), { reason: event.data.reason, shortItems: event.data.shortItems });
  }

  private async answer(
    event: CloudEvent<'stock_reserved' | 'stock_rejected'>,
    outcome: StockOutcome,
    resultOf: (order: OrderRecord, causation: Causation) => CloudEvent,
    rejection: StockRejection | null = null,
  ): Promise<void> {
    const orderId = event.data.orderId;
    const causation: Causation = { correlationId: event.correlationid, causationId: event.id };
    const to = outcome === 'RESERVED' ? 'CONFIRMED' : 'REJECTED';
    // The first try, outside a transaction (main.ts: oneStatementFirst): the common case in one
    // statement. Anything else needs the event's transaction: the repository's calls below ask for
    // it (transactionManager), and the platform runs this handler again inside one.
    const inbox = eventToRecord();
    if (inbox && (await this.orders.answerPending(inbox, orderId, { outcome, rejection, to }, (order) => resultOf(order, causation)))) {
      this.logger.info({ orderId, status: to }, 'order answered by inventory');
      return;
    }
    // The first answer locks the row until the transaction ends: no status change by a person, no
    // sweep interleaves with its effect. A later one changes no row and needs no lock.
    const { first, order } = await this.orders.recordStockOutcome(orderId, outcome, rejection);
    if (!order) {
      // Another deployment's order on a shared broker.
      this.logger.warn({ orderId, eventId: event.id, type: event.type }, 'stock answer for an unknown order, ignored');
      return;
    }
    if (!first) {
      await this.laterAnswer(order, event, outcome, causation);
      return;
    }
    if (checkTransition(order.status, to, 'system') === 'allowed') {
      const changed = await this.orders.transition(orderId, order.status, to, (current) => [resultOf(current, causation)]);
      if (!changed) throw new Error(`order ${orderId} changed under its row lock`);
      this.logger.info({ orderId, status: to }, 'order answered by inventory');
      return;
    }
    if (order.status === 'CANCELLED' && !order.cancelAnnounced) {
      await this.orders.enqueue(orderCancelled(order, causation));
      this.logger.info({ orderId, outcome }, 'order cancelled while pending: cancellation announced after inventory answered');
      return;
    }
    if (order.status === 'CANCELLED' && outcome === 'RESERVED') {
      await this.orders.enqueue(orderRelease(order, causation));
      this.logger.warn({ orderId, cancelReason: order.cancelReason }, 'stock reserved for an order whose cancellation went out before: holds released');
      return;
    }
    // A rejection for an order whose cancellation went out already (nothing held), or an answer
    // for an order a person moved on from PENDING some other way.
    this.logger.warn({ orderId, status: order.status, outcome }, 'stock answer for an order past PENDING, nothing to do');
  }

  /** An answer to an order inventory had answered before (under another event id). */
  private async laterAnswer(order: OrderRecord, event: CloudEvent, outcome: StockOutcome, causation: Causation): Promise<void> {
    const context = { orderId: order.id, eventId: event.id, status: order.status, first: order.stockOutcome, now: outcome };
    if (order.stockOutcome === outcome) {
      this.logger.info(context, 'repeated stock answer, ignored');
      return;
    }
    if (outcome === 'RESERVED') {
      await this.orders.enqueueOnce(orderRelease(order, causation));
      this.logger.warn(context, 'conflicting stock answers: stock reserved after a rejection; the order keeps the first answer and the holds are released');
      return;
    }
    this.logger.error(context, 'conflicting stock answers: stock rejected after a reservation; the order keeps the first answer and its hold');
  }
}
