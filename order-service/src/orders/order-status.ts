/** Every state an order can be in; the database refuses any other (orders_status_check). */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Who asks for a change: the system (inventory's answer, the pending-order timeout), the order's owner, or an admin. */
export type Actor = 'system' | 'owner' | 'admin';

/** Why an order was cancelled: by its owner, by an admin, or by the system because inventory never answered. */
export const CANCEL_REASONS = ['customer', 'admin', 'timeout'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/**
 * The order's lifecycle (docs/architecture.md, "The order saga, step by step"). The inventory confirms or rejects a pending
 * order; the owner or an admin may cancel before shipping; only an admin ships and delivers. The
 * system cancels an order still pending after ORDER_PENDING_TIMEOUT_SECONDS (pending-order.sweeper.ts).
 * Anything not listed is an illegal change (409).
 */
const transitions: Record<OrderStatus, Partial<Record<OrderStatus, readonly Actor[]>>> = {
  PENDING: { CONFIRMED: ['system'], REJECTED: ['system'], CANCELLED: ['owner', 'admin', 'system'] },
  CONFIRMED: { CANCELLED: ['owner', 'admin'], SHIPPED: ['admin'] },
  SHIPPED: { DELIVERED: ['admin'] },
  REJECTED: {},
  CANCELLED: {},
  DELIVERED: {},
};

export type TransitionVerdict = 'allowed' | 'illegal' | 'forbidden';

export function checkTransition(from: OrderStatus, to: OrderStatus, actor: Actor): TransitionVerdict {
  const allowedActors = transitions[from][to];
  if (!allowedActors) return 'illegal';
  return allowedActors.includes(actor) ? 'allowed' : 'forbidden';
}
