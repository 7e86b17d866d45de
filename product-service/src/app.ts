import { serviceApp, type ServiceKit } from '@oip/platform';
import type { Express } from 'express';
import { productRouter } from './products/product.router';
import type { ProductService } from './products/product.service';

/** Builds the HTTP app; never listens (main.ts and tests decide where). */
export function buildApp(kit: ServiceKit, products: ProductService): Express {
  return serviceApp(kit, { title: 'product-service', version: '1.0.0', description: 'Product catalogue' }, [productRouter(products)]);
}
