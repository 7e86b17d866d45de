import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent } from '@oip/contracts';
import { dispatchByType, missingHandlers, UnhandledEventTypeError } from '../src/consumers/event-dispatcher';

describe('event dispatcher (pure)', () => {
  const created = createEvent('product_created', { productId: 'p1', sku: 'S', name: 'N', price: '1.00', currency: 'EUR' }, { source: '/t', subject: 'p1' });
  const deleted = createEvent('product_deleted', { productId: 'p1', sku: 'S' }, { source: '/t', subject: 'p1' });

  it('When an event has a handler for its type, then that handler gets it', async () => {
    const seen: string[] = [];
    const dispatch = dispatchByType({ product_created: async (event) => void seen.push(event.data.sku) });

    await dispatch(created);

    assert.deepEqual(seen, ['S']);
  });

  it('When an event type has no handler, then dispatch throws (retry, then DLQ) instead of acking it silently', async () => {
    const dispatch = dispatchByType({ product_created: async () => undefined });

    await assert.rejects(dispatch(deleted), UnhandledEventTypeError);
  });

  it('When checked at start-up, then the subscribed types without a handler are named', () => {
    assert.deepEqual(missingHandlers(['product_created', 'order_created'], { product_created: async () => undefined }), ['order_created']);
  });
});
