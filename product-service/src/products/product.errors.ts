import { AppError, ErrorCode } from '@oip/platform';

/** Domain errors of the catalogue, with stable codes; the platform maps their kind to a status. */
export const productErrors = {
  notFound: (id: string) => new AppError('not_found', 'PRODUCT.NOT_FOUND', `Product ${id} was not found`),
  skuTaken: (sku: string) => new AppError('conflict', 'PRODUCT.SKU_TAKEN', `A product with SKU ${sku} already exists`),
  deleted: (id: string) => new AppError('conflict', 'PRODUCT.DELETED', `Product ${id} is deleted and cannot be changed`),
  priceRange: () =>
    new AppError('validation', ErrorCode.REQUEST_INVALID, 'Invalid request query', { 'query.minPrice': 'must not be greater than maxPrice' }),
};
