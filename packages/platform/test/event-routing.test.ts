import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent } from '@oip/contracts';
import { dispatchByType, missingHandlers, UnhandledEventTypeError } from '../src/messaging';

describe('event routing (pure)', () => {
  const created = createEvent('product_created', { productId: 'p1', sku: 'S', name: 'N', price: '1.00', currency: 'EUR' }, { source: '/t', subject: 'p1' });
  const deleted = createEvent('product_deleted', { productId: 'p1', sku: 'S' }, { source: '/t', subject: 'p1' });

  it('When an event has a handler for its type, then that handler gets it', async () => {
    const seen: string[] = [];
    const dispatch = dispatchByType('test-service', { product_created: async (event) => void seen.push(event.data.sku) });

    await dispatch(created);

    assert.deepEqual(seen, ['S']);
  });

  it('When an event type has no handler, then dispatch throws (retry, then DLQ) instead of acking it silently', async () => {
    const dispatch = dispatchByType('test-service', { product_created: async () => undefined });

    await assert.rejects(dispatch(deleted), (error) => error instanceof UnhandledEventTypeError && error.code === 'EVENT.UNHANDLED_TYPE' && /test-service has no handler for product_deleted/.test(error.message));
  });

  it('When checked at start-up, then the subscribed types without a handler are named', () => {
    assert.deepEqual(missingHandlers(['product_created', 'order_created'], { product_created: async () => undefined }), ['order_created']);
  });
});
