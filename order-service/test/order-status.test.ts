import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTransition, ORDER_STATUSES, type Actor, type OrderStatus } from '../src/orders/order-status';

describe('order lifecycle table', () => {
  it('When the inventory answers a pending order, then it may confirm or reject it, and nobody else may', () => {
    assert.equal(checkTransition('PENDING', 'CONFIRMED', 'system'), 'allowed');
    assert.equal(checkTransition('PENDING', 'REJECTED', 'system'), 'allowed');
    assert.equal(checkTransition('PENDING', 'CONFIRMED', 'admin'), 'forbidden');
    assert.equal(checkTransition('PENDING', 'REJECTED', 'owner'), 'forbidden');
  });

  it('When an order is pending or confirmed, then its owner or an admin may cancel it', () => {
    for (const from of ['PENDING', 'CONFIRMED'] as const) {
      assert.equal(checkTransition(from, 'CANCELLED', 'owner'), 'allowed');
      assert.equal(checkTransition(from, 'CANCELLED', 'admin'), 'allowed');
    }
  });

  it('When inventory never answers a pending order, then the system may cancel it (the timeout), and nothing later', () => {
    assert.equal(checkTransition('PENDING', 'CANCELLED', 'system'), 'allowed');
    assert.equal(checkTransition('CONFIRMED', 'CANCELLED', 'system'), 'forbidden');
  });

  it('When shipping and delivering, then only an admin may, and only in order', () => {
    assert.equal(checkTransition('CONFIRMED', 'SHIPPED', 'admin'), 'allowed');
    assert.equal(checkTransition('CONFIRMED', 'SHIPPED', 'owner'), 'forbidden');
    assert.equal(checkTransition('SHIPPED', 'DELIVERED', 'admin'), 'allowed');
    assert.equal(checkTransition('PENDING', 'SHIPPED', 'admin'), 'illegal');
    assert.equal(checkTransition('CONFIRMED', 'DELIVERED', 'admin'), 'illegal');
    assert.equal(checkTransition('SHIPPED', 'CANCELLED', 'admin'), 'illegal');
  });

  it('When an order is rejected, cancelled or delivered, then no change is legal for anyone', () => {
    const actors: Actor[] = ['system', 'owner', 'admin'];
    for (const from of ['REJECTED', 'CANCELLED', 'DELIVERED'] as OrderStatus[]) {
      for (const to of ORDER_STATUSES) for (const actor of actors) assert.equal(checkTransition(from, to, actor), 'illegal', `${from}→${to}`);
    }
  });

  it('When a status is set to itself, then it is not a transition', () => {
    for (const status of ORDER_STATUSES) assert.equal(checkTransition(status, status, 'admin'), 'illegal');
  });
});
