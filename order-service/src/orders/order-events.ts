import { createEvent, deterministicEventId, type Causation, type CloudEvent, type EventData, type EventType } from '@oip/contracts';
import type { OrderStatus } from './order-status';
import type { OrderRecord } from './order-view';

export const EVENT_SOURCE = '/order-service';

/**
 * The order's events, built from the order as stored. Each type happens at most once per order
 * (every transition is taken once), so the ids derive from the order id: whatever publishes one
 * twice, consumers see the same event.
 */
function orderEvent<T extends EventType>(type: T, order: Pick<OrderRecord, 'id'>, data: EventData<T>, causation: Causation, variant?: string): CloudEvent<T> {
  return createEvent(type, data, {
    source: EVENT_SOURCE,
    subject: order.id,
    id: deterministicEventId(variant ? `${type}:${order.id}:${variant}` : `${type}:${order.id}`),
    ...causation,
  });
}

const refOf = (order: Pick<OrderRecord, 'id' | 'customerId' | 'customerEmail'>) => ({ orderId: order.id, customerId: order.customerId, customerEmail: order.customerEmail });
const linesOf = (order: OrderRecord) => order.items.map((line) => ({ productId: line.productId, quantity: line.quantity }));

/** Built before the order is stored, from what will be stored. */
export function orderCreated(order: Pick<OrderRecord, 'id' | 'customerId' | 'customerEmail' | 'items' | 'total' | 'currency'>, causation: Causation): CloudEvent<'order_created'> {
  return orderEvent(
    'order_created',
    order,
    { ...refOf(order), items: order.items.map((line) => ({ ...line })), total: order.total, currency: order.currency },
    causation,
  );
}

export function orderConfirmed(order: OrderRecord, causation: Causation): CloudEvent<'order_confirmed'> {
  return orderEvent('order_confirmed', order, { ...refOf(order), total: order.total, currency: order.currency }, causation);
}

export function orderRejected(
  order: OrderRecord,
  answer: EventData<'stock_rejected'>,
  causation: Causation,
): CloudEvent<'order_rejected'> {
  const nameOf = new Map(order.items.map((line) => [line.productId, line.name]));
  const shortItems = answer.shortItems.map((short) => {
    const name = nameOf.get(short.productId);
    return { productId: short.productId, requested: short.requested, available: short.available, ...(name ? { name } : {}) };
  });
  return orderEvent('order_rejected', order, { ...refOf(order), reason: answer.reason, shortItems }, causation);
}

/** Tells inventory to release the order's hold (if any) and the customer that it is cancelled. */
export function orderCancelled(order: OrderRecord, causation: Causation): CloudEvent<'order_cancelled'> {
  return orderEvent('order_cancelled', order, { ...refOf(order), items: linesOf(order) }, causation);
}

/**
 * The release of holds that a stock answer implies when it arrives after the order was closed and
 * its cancellation (if any) already announced: a reservation after a rejection, or after the
 * timeout's cancellation. It travels as order_cancelled, the event inventory releases on, under an
 * id of its own, since the announcement's id was (or may later be) spent. One per order: inventory
 * never holds again for an order whose hold it released.
 */
export function orderRelease(order: OrderRecord, causation: Causation): CloudEvent<'order_cancelled'> {
  return orderEvent('order_cancelled', order, { ...refOf(order), items: linesOf(order) }, causation, 'release');
}

export function orderShipped(order: OrderRecord, causation: Causation): CloudEvent<'order_shipped'> {
  return orderEvent('order_shipped', order, { ...refOf(order), items: linesOf(order) }, causation);
}

/**
 * The event a status change made by a person announces. A PENDING order's cancellation announces
 * nothing yet: inventory may still be reserving for it, and a release that overtook the
 * reservation would leave the hold behind. It is announced when inventory's answer arrives
 * (order-saga.service.ts). DELIVERED has no event type.
 */
export function eventOfChange(order: OrderRecord, from: OrderStatus, to: OrderStatus, causation: Causation): CloudEvent | undefined {
  switch (to) {
    case 'CANCELLED':
      return from === 'PENDING' ? undefined : orderCancelled(order, causation);
    case 'SHIPPED':
      return orderShipped(order, causation);
    case 'PENDING':
    case 'CONFIRMED':
    case 'REJECTED':
    case 'DELIVERED':
      return undefined;
  }
}
