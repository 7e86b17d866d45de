import { AppError, ErrorCode } from '@oip/platform';
import type { OrderStatus } from './order-status';

/** The orders capability's domain errors, by stable code; the platform filter maps them to problem+json. */
export const OrderErrors = {
  notFound: (id: string) => new AppError('not_found', 'ORDER.NOT_FOUND', `No order ${id}`),
  notYours: () => new AppError('forbidden', 'ORDER.FORBIDDEN', 'This order belongs to another customer'),
  otherCustomer: () => new AppError('forbidden', 'ORDER.FORBIDDEN', 'Only admins see other customers\' orders'),
  illegalTransition: (from: OrderStatus, to: OrderStatus) =>
    new AppError('conflict', 'ORDER.ILLEGAL_TRANSITION', `An order that is ${from} cannot become ${to}`),
  transitionNeedsAdmin: (to: OrderStatus) => new AppError('forbidden', 'ORDER.FORBIDDEN', `Only an admin may set an order to ${to}`),
  concurrentChange: (id: string) =>
    new AppError('conflict', 'ORDER.CONCURRENT_CHANGE', `Order ${id} was changed by someone else at the same time; read it again`),
  productNotFound: (productId: string, field: string) =>
    new AppError('not_found', 'ORDER.PRODUCT_NOT_FOUND', `No product ${productId} is for sale`, { [field]: 'no such product for sale' }),
  productInactive: (productId: string, field: string) =>
    new AppError('conflict', 'ORDER.PRODUCT_INACTIVE', `Product ${productId} is not for sale any more`, { [field]: 'the product is not for sale' }),
  mixedCurrencies: (currencies: string[]) =>
    new AppError('validation', 'ORDER.MIXED_CURRENCIES', `An order has one currency; these products are priced in ${currencies.join(', ')}`, {
      items: 'all products of an order must have the same currency',
    }),
  totalTooLarge: () => new AppError('validation', 'ORDER.TOTAL_TOO_LARGE', 'The order total is too large', { items: 'the total exceeds the largest allowed amount' }),
  catalogueUnavailable: () => new AppError('unavailable', 'ORDER.CATALOGUE_UNAVAILABLE', 'Products cannot be looked up right now; try again shortly'),
  idempotencyKeyReused: () =>
    new AppError('conflict', 'ORDER.IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for an order with other items'),
  invalidIdempotencyKey: () =>
    new AppError('validation', ErrorCode.REQUEST_INVALID, 'The request is not valid', { 'Idempotency-Key': 'must be 1 to 200 visible ASCII characters' }),
};
