import type { Logger } from 'pino';
import { currentContext } from '../request-context';
import { fetchService } from '../registry/service-fetch';
import type { InstancePicker } from '../registry/service-resolver';

/** What another service needs of a product: enough to show it, or to snapshot it in an order. */
export interface ProductSummary {
  id: string;
  sku: string;
  name: string;
  price: string;
  currency: string;
  active: boolean;
}

export type ProductLookup = { status: 'ok'; product: ProductSummary } | { status: 'not_found' } | { status: 'unavailable' };

export interface ProductLookupOptions {
  picker: InstancePicker;
  logger: Logger;
  /** Each lookup is bounded: a slow product-service makes the caller answer 503, not hang. */
  timeoutMs: number;
  /** How long an active product is remembered; 0 asks product-service every time. */
  cacheMs: number;
}

/** Bounds the cache's memory: past it, the oldest entry makes room. */
const MAX_CACHED_PRODUCTS = 10_000;

/**
 * Reads products from product-service (`GET /products/:id`) through the resolver, for every
 * service that needs them. Every failure that is not a plain 404 — no instance, refused
 * connection, timeout, 5xx, a body without a SKU, name, price or currency — is `unavailable`, so a
 * caller answers 503 (or shows less) rather than 500 or a hang. The caller's token is passed on:
 * product-service shows inactive products to admins only (to anyone else they are 404).
 *
 * Recent answers for *active* products, which every caller may see alike, are kept for `cacheMs`
 * (inactive ones are admin-only; misses and failures must be asked again), and lookups of one
 * product that run at the same time share one request.
 */
export class ProductLookupClient {
  private readonly recent = new Map<string, { product: ProductSummary; until: number }>();
  private readonly inFlight = new Map<string, Promise<ProductLookup>>();

  constructor(private readonly options: ProductLookupOptions) {}

  async get(productId: string, authorization: string | undefined): Promise<ProductLookup> {
    if (this.options.cacheMs === 0) return this.fetch(productId, authorization);
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

  private remember(product: ProductSummary): void {
    this.recent.delete(product.id);
    if (this.recent.size >= MAX_CACHED_PRODUCTS) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(product.id, { product, until: Date.now() + this.options.cacheMs });
  }

  private async fetch(productId: string, authorization: string | undefined): Promise<ProductLookup> {
    const { logger } = this.options;
    const headers: Record<string, string> = { accept: 'application/json' };
    const requestId = currentContext()?.requestId;
    if (requestId) headers['x-request-id'] = requestId;
    if (authorization) headers['authorization'] = authorization;
    try {
      const answer = await fetchService(this.options.picker, 'product-service', `/products/${encodeURIComponent(productId)}`, {
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (answer.status === 404) {
        await answer.body?.cancel();
        return { status: 'not_found' };
      }
      if (!answer.ok) {
        await answer.body?.cancel();
        logger.warn({ productId, status: answer.status }, 'product lookup failed');
        return { status: 'unavailable' };
      }
      const body = (await answer.json()) as Partial<Record<keyof ProductSummary, unknown>>;
      if (typeof body.sku !== 'string' || typeof body.name !== 'string' || typeof body.price !== 'string' || typeof body.currency !== 'string') {
        logger.warn({ productId }, 'product lookup answered an unexpected body');
        return { status: 'unavailable' };
      }
      return { status: 'ok', product: { id: productId, sku: body.sku, name: body.name, price: body.price, currency: body.currency, active: body.active !== false } };
    } catch (error) {
      logger.warn({ productId, err: error }, 'product-service unavailable or too slow');
      return { status: 'unavailable' };
    }
  }
}
