import { Inject, Injectable } from '@nestjs/common';
import { currentContext, type Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';

/** What an order needs of a product: its name and price now, to snapshot them. */
export interface ProductSnapshot {
  id: string;
  name: string;
  price: string;
  currency: string;
  active: boolean;
}

export type ProductLookup = { status: 'ok'; product: ProductSnapshot } | { status: 'not_found' } | { status: 'unavailable' };

/**
 * Reads products from product-service (`GET /products/:id`), each lookup bounded by
 * PRODUCT_LOOKUP_TIMEOUT_MS. Every failure that is not a plain 404 — refused connection, timeout,
 * 5xx, a body without a name or price — is `unavailable`, so placing an order answers 503 rather
 * than 500 or a hang. The caller's token is passed on: product-service shows inactive products
 * to admins only (to anyone else they are 404).
 */
/** Bounds the cache's memory: past it, the oldest entry makes room. */
const MAX_CACHED_PRODUCTS = 10_000;

@Injectable()
export class ProductCatalogue {
  /**
   * Recent answers for *active* products, which every caller may see alike (inactive ones are
   * admin-only, and misses and failures must be asked again), so a burst of orders for the same
   * products costs product-service one lookup per product per PRODUCT_CACHE_MS. Lookups of one
   * product that run at the same time share one request.
   */
  private readonly recent = new Map<string, { product: ProductSnapshot; until: number }>();
  private readonly inFlight = new Map<string, Promise<ProductLookup>>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async get(productId: string, authorization: string | undefined): Promise<ProductLookup> {
    if (this.config.PRODUCT_CACHE_MS === 0) return this.fetch(productId, authorization);
    const cached = this.recent.get(productId);
    if (cached && cached.until > Date.now()) return { status: 'ok', product: cached.product };
    const pending = this.inFlight.get(productId);
    if (pending) {
      const shared = await pending;
      // An active product and an unreachable product-service are the same for everyone; a miss or an
      // inactive product depends on who asks (admins see inactive ones): ask as ourselves.
      if ((shared.status === 'ok' && shared.product.active) || shared.status === 'unavailable') return shared;
      return this.fetch(productId, authorization);
    }
    const lookup = this.fetch(productId, authorization);
    this.inFlight.set(productId, lookup);
    try {
      const answer = await lookup;
      if (answer.status === 'ok' && answer.product.active) this.remember(answer.product);
      else this.recent.delete(productId);
      return answer;
    } finally {
      this.inFlight.delete(productId);
    }
  }

  private remember(product: ProductSnapshot): void {
    this.recent.delete(product.id);
    if (this.recent.size >= MAX_CACHED_PRODUCTS) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(product.id, { product, until: Date.now() + this.config.PRODUCT_CACHE_MS });
  }

  private async fetch(productId: string, authorization: string | undefined): Promise<ProductLookup> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const requestId = currentContext()?.requestId;
    if (requestId) headers['x-request-id'] = requestId;
    if (authorization) headers['authorization'] = authorization;
    const url = `${this.config.PRODUCT_SERVICE_URL}/products/${encodeURIComponent(productId)}`;
    try {
      const answer = await fetch(url, { headers, signal: AbortSignal.timeout(this.config.PRODUCT_LOOKUP_TIMEOUT_MS) });
      if (answer.status === 404) {
        await answer.body?.cancel();
        return { status: 'not_found' };
      }
      if (!answer.ok) {
        await answer.body?.cancel();
        this.logger.warn({ productId, status: answer.status }, 'product lookup failed');
        return { status: 'unavailable' };
      }
      const body = (await answer.json()) as Partial<Record<keyof ProductSnapshot, unknown>>;
      if (typeof body.name !== 'string' || typeof body.price !== 'string' || typeof body.currency !== 'string') {
        this.logger.warn({ productId }, 'product lookup answered an unexpected body');
        return { status: 'unavailable' };
      }
      return { status: 'ok', product: { id: productId, name: body.name, price: body.price, currency: body.currency, active: body.active !== false } };
    } catch (error) {
      this.logger.warn({ productId, err: error }, 'product-service unreachable or too slow');
      return { status: 'unavailable' };
    }
  }
}
