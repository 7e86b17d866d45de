import { AppError } from '@oip/platform';

/** Domain errors of stock keeping, with stable codes; the platform maps their kind to a status. */
export const stockErrors = {
  notFound: (productId: string) => new AppError('not_found', 'STOCK.NOT_FOUND', `No stock record for product ${productId}`),
  insufficient: (productId: string, requested: number, available: number) =>
    new AppError('conflict', 'STOCK.INSUFFICIENT', `Product ${productId}: ${requested} requested, ${available} available`),
  belowReserved: (productId: string, reserved: number) =>
    new AppError('conflict', 'STOCK.BELOW_RESERVED', `Product ${productId}: on-hand stock cannot go below the ${reserved} reserved`),
  holdNotFound: (productId: string, reference: string) =>
    new AppError('conflict', 'STOCK.HOLD_NOT_FOUND', `Product ${productId} has no hold for reference ${reference}`),
  holdMismatch: (productId: string, reference: string, held: number) =>
    new AppError('conflict', 'STOCK.HOLD_MISMATCH', `Product ${productId}: the hold ${reference} is for ${held}, release or deduct it whole`),
  retired: (productId: string) => new AppError('conflict', 'STOCK.PRODUCT_RETIRED', `Product ${productId} was deleted; its stock takes no new reservations or changes`),
  productNotFound: (productId: string) => new AppError('not_found', 'PRODUCT.NOT_FOUND', `Product ${productId} is not in the catalogue`),
  catalogueUnavailable: (productId: string) => new AppError('unavailable', 'CATALOGUE.UNAVAILABLE', `product-service did not answer for product ${productId}; try again`),
  contended: (productId: string) => new AppError('unavailable', 'STOCK.CONTENDED', `Stock of ${productId} is changing too fast; try again`),
};

export function isStockError(error: unknown, ...codes: string[]): error is AppError {
  return error instanceof AppError && codes.includes(error.code);
}
