import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, deterministicEventId, EventContractError, parseEvent } from '../src';

const order = {
  orderId: 'o-1',
  customerId: 'u-1',
  customerEmail: 'ada@example.com',
  items: [{ productId: 'p-1', name: 'Lamp', quantity: 2, unitPrice: '9.90' }],
  total: '19.80',
  currency: 'EUR',
};

describe('CloudEvent envelope', () => {
  it('When an event is built, then it round-trips through JSON and validation unchanged', () => {
    const event = createEvent('order_created', order, { source: '/order-service', subject: 'o-1', correlationId: 'req-1' });

    const parsed = parseEvent(JSON.parse(JSON.stringify(event)));

    assert.deepEqual(parsed, event);
    assert.equal(parsed.specversion, '1.0');
    assert.equal(parsed.correlationid, 'req-1');
  });

  it('When the data breaks its schema, then building the event refuses it', () => {
    const bad = { ...order, total: 19.8 } as unknown as typeof order;

    assert.throws(() => createEvent('order_created', bad, { source: '/order-service', subject: 'o-1' }), EventContractError);
  });

  it('When a message has an unknown type or is not an envelope, then parsing names the problem', () => {
    const event = createEvent('stock_low', { productId: 'p', available: 1, threshold: 5 }, { source: '/x', subject: 'p' });

    assert.throws(() => parseEvent({ ...event, type: 'stock_vanished' }), /unknown event type stock_vanished/);
    assert.throws(() => parseEvent({ hello: 'world' }), (error: unknown) => {
      assert.ok(error instanceof EventContractError);
      assert.ok(error.issues.some((issue) => issue.startsWith('specversion')));
      return true;
    });
  });

  it('When the same name is given twice, then the deterministic id is the same UUID, and differs per name', () => {
    const first = deterministicEventId('stock_reserved:o-1');

    assert.equal(deterministicEventId('stock_reserved:o-1'), first);
    assert.notEqual(deterministicEventId('stock_reserved:o-2'), first);
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
