/** Every state an order can be in; the database refuses any other (orders_status_check). */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];
