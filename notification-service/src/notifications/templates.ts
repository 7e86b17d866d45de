import { subscriptions, type CloudEvent, type EventData } from '@oip/contracts';

/**
 * What each event tells whom, as pure functions of the event: no I/O, no clock, so the wording is
 * unit-tested and a stored notification can be re-sent exactly as it was first rendered.
 */
export const notifiableTypes = subscriptions['notification-service'];
export type NotifiableType = (typeof notifiableTypes)[number];
export type NotifiableEvent = { [T in NotifiableType]: CloudEvent<T> }[NotifiableType];

export function isNotifiable(event: { type: string }): event is NotifiableEvent {
  return (notifiableTypes as readonly string[]).includes(event.type);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** One notification to store and send: one per event and recipient. */
export interface NotificationPlan extends RenderedEmail {
  type: NotifiableType;
  eventId: string;
  /** The customer (user) it belongs to; absent for operations notices, which only admins see. */
  customerId?: string;
  orderId?: string;
  recipient: string;
  channel: 'email';
}

export interface PlanOptions {
  /** Recipient of notices that have no customer (stock_low). */
  opsEmail: string;
}

/** Who is told about an event, and what they are told. */
export function planNotifications(event: NotifiableEvent, options: PlanOptions): NotificationPlan[] {
  const base = { type: event.type, eventId: event.id, channel: 'email' as const };
  switch (event.type) {
    case 'user_registered':
      return [{ ...base, customerId: event.data.userId, recipient: event.data.email, ...userRegistered(event.data) }];
    case 'order_created':
      return [{ ...base, ...orderRef(event.data), ...orderCreated(event.data) }];
    case 'order_confirmed':
      return [{ ...base, ...orderRef(event.data), ...orderConfirmed(event.data) }];
    case 'order_rejected':
      return [{ ...base, ...orderRef(event.data), ...orderRejected(event.data) }];
    case 'order_cancelled':
      return [{ ...base, ...orderRef(event.data), ...orderCancelled(event.data) }];
    case 'order_shipped':
      return [{ ...base, ...orderRef(event.data), ...orderShipped(event.data) }];
    case 'stock_low':
      return [{ ...base, recipient: options.opsEmail, ...stockLow(event.data) }];
  }
}

function orderRef(data: { orderId: string; customerId: string; customerEmail: string }): { orderId: string; customerId: string; recipient: string } {
  return { orderId: data.orderId, customerId: data.customerId, recipient: data.customerEmail };
}

// ---- one template per type ---------------------------------------------------------------------

export function userRegistered(data: EventData<'user_registered'>): RenderedEmail {
  return email(`Welcome to Order & Inventory, ${data.name}`, [
    paragraph(`Hello ${data.name},`),
    paragraph(`your account ${data.email} is ready. You can now sign in and place orders.`),
  ]);
}

export function orderCreated(data: EventData<'order_created'>): RenderedEmail {
  return email(`We received your order ${data.orderId}`, [
    paragraph(`Thank you for your order ${data.orderId}. We are reserving the items now and will confirm shortly.`),
    list(data.items.map((item) => `${item.name} × ${item.quantity} at ${item.unitPrice} ${data.currency}`)),
    paragraph(`Total: ${data.total} ${data.currency}`),
  ]);
}

export function orderConfirmed(data: EventData<'order_confirmed'>): RenderedEmail {
  return email(`Your order ${data.orderId} is confirmed`, [
    paragraph(`Good news: every item of your order ${data.orderId} is reserved for you.`),
    paragraph(`Total: ${data.total} ${data.currency}`),
  ]);
}

export function orderRejected(data: EventData<'order_rejected'>): RenderedEmail {
  const short = data.shortItems.map((item) => `${item.name ?? `product ${item.productId}`}: requested ${item.requested}, available ${item.available}`);
  return email(`Your order ${data.orderId} could not be placed`, [
    paragraph(`We are sorry: your order ${data.orderId} could not be placed (${data.reason}).`),
    ...(short.length > 0 ? [paragraph('Not enough stock for:'), list(short)] : []),
    paragraph('Nothing was charged. You are welcome to order again with fewer items.'),
  ]);
}

export function orderCancelled(data: EventData<'order_cancelled'>): RenderedEmail {
  return email(`Your order ${data.orderId} was cancelled`, [
    paragraph(`Your order ${data.orderId} was cancelled and its items were released:`),
    list(data.items.map((item) => `product ${item.productId} × ${item.quantity}`)),
  ]);
}

export function orderShipped(data: EventData<'order_shipped'>): RenderedEmail {
  return email(`Your order ${data.orderId} has shipped`, [
    paragraph(`Your order ${data.orderId} is on its way:`),
    list(data.items.map((item) => `product ${item.productId} × ${item.quantity}`)),
  ]);
}

export function stockLow(data: EventData<'stock_low'>): RenderedEmail {
  return email(`Low stock: product ${data.productId} has ${data.available} left`, [
    paragraph(`Product ${data.productId} is down to ${data.available} available (threshold ${data.threshold}).`),
    paragraph('Consider restocking it.'),
  ]);
}

// ---- a tiny document model rendered twice: plain text and HTML ----------------------------------

type Block = { kind: 'paragraph'; text: string } | { kind: 'list'; items: string[] };

const paragraph = (text: string): Block => ({ kind: 'paragraph', text });
const list = (items: string[]): Block => ({ kind: 'list', items });

function email(subject: string, blocks: Block[]): RenderedEmail {
  const text = blocks.map((block) => (block.kind === 'paragraph' ? block.text : block.items.map((item) => `  - ${item}`).join('\n'))).join('\n\n');
  const body = blocks
    .map((block) => (block.kind === 'paragraph' ? `<p>${escapeHtml(block.text)}</p>` : `<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`))
    .join('\n');
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>\n${body}\n</body></html>`;
  return { subject, text: `${text}\n`, html };
}

/** Event data is user input (names, reasons): it must not become markup. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
