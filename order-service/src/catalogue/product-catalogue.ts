import type { Provider } from '@nestjs/common';
import { Discovery, ProductLookupClient, type Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';

/**
 * Orders snapshot a product's name and price from product-service through the platform's one
 * product client; a burst of orders for the same products costs one lookup per product per
 * PRODUCT_CACHE_MS.
 */
export const productCatalogue: Provider = {
  provide: ProductLookupClient,
  inject: [Discovery, LOGGER, SERVICE_CONFIG],
  useFactory: (discovery: Discovery, logger: Logger, config: Config) =>
    new ProductLookupClient({ picker: discovery.picker, logger, timeoutMs: config.PRODUCT_LOOKUP_TIMEOUT_MS, cacheMs: config.PRODUCT_CACHE_MS }),
};
