/**
 * Reads product details from product-service for display (GET /inventory). Inventory never needs
 * them to keep stock, so a slow or absent product-service must not fail the listing: each lookup
 * has a short timeout and answers `unavailable` instead of throwing.
 */
export interface ProductSummary {
  id: string;
  sku: string;
  name: string;
  price: string;
  currency: string;
  active: boolean;
}

export type ProductLookup = { status: 'ok'; product: ProductSummary } | { status: 'not_found' } | { status: 'unavailable' };

export class ProductClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** `headers` carries the caller's authorization (admins see deleted products) and request id. */
  async get(productId: string, headers: Record<string, string>): Promise<ProductLookup> {
    try {
      const answer = await fetch(`${this.baseUrl}/products/${encodeURIComponent(productId)}`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
      if (answer.status === 404) return { status: 'not_found' };
      if (!answer.ok) return { status: 'unavailable' };
      const body = (await answer.json()) as Partial<ProductSummary>;
      if (typeof body.name !== 'string' || typeof body.price !== 'string' || typeof body.sku !== 'string') return { status: 'unavailable' };
      return { status: 'ok', product: { id: productId, sku: body.sku, name: body.name, price: body.price, currency: String(body.currency), active: body.active !== false } };
    } catch {
      return { status: 'unavailable' };
    }
  }
}
