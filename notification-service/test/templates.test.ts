import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent } from '@oip/contracts';
import { escapeHtml, orderCreated, orderRejected, planNotifications, stockLow, userRegistered } from '../src/notifications/templates';

const customer = { orderId: 'order-1', customerId: 'user-1', customerEmail: 'ann@example.com' };
const options = { opsEmail: 'ops@example.com' };

describe('templates (pure)', () => {
  it('When an order is rejected for short stock, then subject and both bodies name each short item with requested and available', () => {
    const email = orderRejected({
      ...customer,
      reason: 'insufficient stock',
      shortItems: [
        { productId: 'p-1', name: 'Blue widget', requested: 3, available: 1 },
        { productId: 'p-2', requested: 2, available: 0 },
      ],
    });

    assert.equal(email.subject, 'Your order order-1 could not be placed');
    assert.match(email.text, /Blue widget: requested 3, available 1/);
    assert.match(email.text, /product p-2: requested 2, available 0/);
    assert.match(email.html, /<li>Blue widget: requested 3, available 1<\/li>/);
    assert.match(email.html, /<li>product p-2: requested 2, available 0<\/li>/);
  });

  it('When an order is rejected without short items, then the body gives the reason and lists nothing', () => {
    const email = orderRejected({ ...customer, reason: 'customer blocked', shortItems: [] });

    assert.match(email.text, /customer blocked/);
    assert.doesNotMatch(email.html, /<ul>/);
  });

  it('When an order is created, then the body lists items with quantity and price, and the total with currency', () => {
    const email = orderCreated({ ...customer, items: [{ productId: 'p-1', name: 'Lamp', quantity: 2, unitPrice: '12.50' }], total: '25.00', currency: 'EUR' });

    assert.equal(email.subject, 'We received your order order-1');
    assert.match(email.text, /Lamp × 2 at 12.50 EUR/);
    assert.match(email.text, /Total: 25.00 EUR/);
  });

  it('When event data holds markup, then the HTML body escapes it and the text body keeps it as written', () => {
    const email = userRegistered({ userId: 'u-1', email: 'x@example.com', name: '<script>alert("x")</script>' });

    assert.doesNotMatch(email.html, /<script>/);
    assert.match(email.html, /&#60;script&#62;/);
    assert.match(email.text, /<script>alert\("x"\)<\/script>/);
    assert.equal(escapeHtml(`&<>"'`), '&#38;&#60;&#62;&#34;&#39;');
  });

  it('When stock runs low, then the notice names product, available and threshold', () => {
    const email = stockLow({ productId: 'p-9', available: 2, threshold: 5 });

    assert.equal(email.subject, 'Low stock: product p-9 has 2 left');
    assert.match(email.text, /down to 2 available \(threshold 5\)/);
  });

  it('When planned, then an order event goes to its customer, owned by the customer, with the order id', () => {
    const event = createEvent('order_confirmed', { ...customer, total: '10.00', currency: 'EUR' }, { source: '/order-service', subject: 'order-1' });

    const plans = planNotifications(event, options);

    assert.equal(plans.length, 1);
    assert.deepEqual(
      { type: plans[0]?.type, eventId: plans[0]?.eventId, recipient: plans[0]?.recipient, customerId: plans[0]?.customerId, orderId: plans[0]?.orderId, channel: plans[0]?.channel },
      { type: 'order_confirmed', eventId: event.id, recipient: 'ann@example.com', customerId: 'user-1', orderId: 'order-1', channel: 'email' },
    );
  });

  it('When planned, then user_registered goes to the new user, owned by them, without an order', () => {
    const event = createEvent('user_registered', { userId: 'u-7', email: 'new@example.com', name: 'New' }, { source: '/user-service', subject: 'u-7' });

    const [plan] = planNotifications(event, options);

    assert.equal(plan?.recipient, 'new@example.com');
    assert.equal(plan?.customerId, 'u-7');
    assert.equal(plan?.orderId, undefined);
  });

  it('When planned, then stock_low goes to the ops address and has no owner', () => {
    const event = createEvent('stock_low', { productId: 'p-1', available: 1, threshold: 5 }, { source: '/inventory-service', subject: 'p-1' });

    const [plan] = planNotifications(event, options);

    assert.equal(plan?.recipient, 'ops@example.com');
    assert.equal(plan?.customerId, undefined);
  });

  it('When the same event is planned twice, then the result is identical (no clock, no randomness)', () => {
    const event = createEvent('order_shipped', { ...customer, items: [{ productId: 'p-1', quantity: 1 }] }, { source: '/order-service', subject: 'order-1' });

    assert.deepEqual(planNotifications(event, options), planNotifications(event, options));
  });
});
