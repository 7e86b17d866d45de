import { z } from 'zod';
import { Email } from './email';
import { Money } from './money';

/**
 * The data of every domain event, by type. One schema per event type is the contract between
 * producer and consumers: evolve a schema additively (new optional fields); a breaking change is a
 * new event type. Consumers must tolerate fields they do not know, so objects are not strict.
 */

export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"');
const Id = z.string().min(1).max(64);
const Quantity = z.number().int().positive();

const OrderItem = z.object({
  productId: Id,
  name: z.string().min(1),
  quantity: Quantity,
  unitPrice: Money,
});

const OrderRef = {
  orderId: Id,
  customerId: Id,
  customerEmail: Email,
};

export const eventDataSchemas = {
  user_registered: z.object({ userId: Id, email: Email, name: z.string().min(1) }),
  /**
   * `tokensValidAfter`: access tokens of this user issued (`iat`) before this instant are void,
   * so a demoted admin's token stops working within seconds rather than when it expires.
   */
  user_roles_changed: z.object({ userId: Id, roles: z.array(z.string().min(1)), tokensValidAfter: z.iso.datetime() }),
  user_deactivated: z.object({ userId: Id, tokensValidAfter: z.iso.datetime() }),

  product_created: z.object({
    productId: Id,
    sku: z.string().min(1),
    name: z.string().min(1),
    price: Money,
    currency: Currency,
  }),
  product_deleted: z.object({ productId: Id, sku: z.string().min(1) }),

  order_created: z.object({
    ...OrderRef,
    items: z.array(OrderItem).min(1),
    total: Money,
    currency: Currency,
  }),

  stock_reserved: z.object({
    orderId: Id,
    items: z.array(z.object({ productId: Id, quantity: Quantity })).min(1),
  }),
  stock_rejected: z.object({
    orderId: Id,
    reason: z.string().min(1),
    shortItems: z.array(z.object({ productId: Id, requested: Quantity, available: z.number().int().min(0) })),
  }),

  order_confirmed: z.object({ ...OrderRef, total: Money, currency: Currency }),
  order_rejected: z.object({
    ...OrderRef,
    reason: z.string().min(1),
    shortItems: z
      .array(z.object({ productId: Id, name: z.string().optional(), requested: Quantity, available: z.number().int().min(0) }))
      .default([]),
  }),
  order_cancelled: z.object({
    ...OrderRef,
    items: z.array(z.object({ productId: Id, quantity: Quantity })).min(1),
  }),
  order_shipped: z.object({
    ...OrderRef,
    items: z.array(z.object({ productId: Id, quantity: Quantity })).min(1),
  }),

  stock_low: z.object({
    productId: Id,
    available: z.number().int().min(0),
    threshold: z.number().int().min(0),
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export const eventTypes = Object.keys(eventDataSchemas) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventDataSchemas, value);
}

/**
 * Which service consumes which event types: the routing half of the contract. Each entry is a
 * durable queue named after the service, bound to these routing keys (= event types).
 */
export const subscriptions = {
  'inventory-service': ['product_created', 'product_deleted', 'order_created', 'order_cancelled', 'order_shipped'],
  'order-service': ['stock_reserved', 'stock_rejected'],
  'notification-service': [
    'user_registered',
    'order_created',
    'order_confirmed',
    'order_rejected',
    'order_cancelled',
    'order_shipped',
    'stock_low',
  ],
} as const satisfies Record<string, readonly EventType[]>;

export type ConsumingService = keyof typeof subscriptions;

/**
 * Events every token-verifying process (gateway and each service instance) must see, not one
 * consumer per service: each process binds its own exclusive, auto-delete queue to these, so that
 * every replica refuses the revoked tokens (see docs/architecture.md "Tokens and revocation").
 */
export const tokenRevocationTypes = ['user_roles_changed', 'user_deactivated'] as const satisfies readonly EventType[];
