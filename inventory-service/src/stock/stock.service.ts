import type { EventData } from '@oip/contracts';
import { contextCausation, type ProductLookupClient } from '@oip/platform';
import { stockErrors } from './stock.errors';
import type { StockOperation } from './stock.operations';
import type { ApplyResult, StockRepository } from './stock.repository';

export type View = Record<string, unknown>;

/** Something to wake when events were written (the outbox relay). */
export interface OutboxNudge {
  nudge(): void;
}

/** Stock keeping use cases, shared by the admin API and the event consumers. */
export class StockService {
  constructor(
    private readonly repository: StockRepository,
    private readonly products: ProductLookupClient,
    private readonly outbox: OutboxNudge,
    private readonly defaults: { lowStockThreshold: number },
  ) {}

  async get(productId: string): Promise<View> {
    const stock = await this.repository.get(productId);
    if (!stock) throw stockErrors.notFound(productId);
    return this.repository.toView(stock);
  }

  /** `authorization` is the caller's: admins see retired products' details too. */
  async list(query: { page: number; limit: number; includeRetired: boolean }, authorization: string | undefined) {
    const { items, total } = await this.repository.list({ includeRetired: query.includeRetired, skip: (query.page - 1) * query.limit, limit: query.limit });
    // Product details come from product-service; each lookup is bounded by a timeout and a slow or
    // absent product-service leaves `product: null` with the reason, never a failed listing.
    const lookups = await Promise.all(items.map((item) => this.products.get(item.productId, authorization)));
    return {
      items: items.map((item, index) => {
        const lookup = lookups[index] ?? { status: 'unavailable' as const };
        const product = lookup.status === 'ok' ? { name: lookup.product.name, price: lookup.product.price, currency: lookup.product.currency, active: lookup.product.active } : null;
        return { ...this.repository.toView(item), product, productLookup: lookup.status };
      }),
      page: query.page,
      limit: query.limit,
      total,
    };
  }

  async movements(productId: string, query: { page: number; limit: number }) {
    if (!(await this.repository.get(productId))) throw stockErrors.notFound(productId);
    const { items, total } = await this.repository.movements(productId, { skip: (query.page - 1) * query.limit, limit: query.limit });
    return {
      items: items.map((movement) => ({
        version: movement.version,
        kind: movement.kind,
        delta: movement.delta,
        reservedDelta: movement.reservedDelta,
        ...(movement.reason !== undefined ? { reason: movement.reason } : {}),
        ...(movement.reference !== undefined ? { reference: movement.reference } : {}),
        at: movement.at,
      })),
      page: query.page,
      limit: query.limit,
      total,
    };
  }

  setQuantity(productId: string, body: { quantity: number; lowStockThreshold?: number | undefined }): Promise<View> {
    return this.change(productId, { kind: 'set', quantity: body.quantity, lowStockThreshold: body.lowStockThreshold });
  }

  adjust(productId: string, body: { delta: number; reason: string }): Promise<View> {
    return this.change(productId, { kind: 'adjust', delta: body.delta, reason: body.reason });
  }

  reserve(productId: string, body: { quantity: number; reference: string }): Promise<View> {
    return this.change(productId, { kind: 'reserve', ...body });
  }

  release(productId: string, body: { quantity: number; reference: string }): Promise<View> {
    return this.change(productId, { kind: 'release', ...body });
  }

  deduct(productId: string, body: { quantity: number; reference: string }): Promise<View> {
    return this.change(productId, { kind: 'deduct', ...body });
  }

  /** Applies one operation; the answer says whether it took effect now or had already. */
  async apply(productId: string, operation: StockOperation): Promise<ApplyResult> {
    const result = await this.repository.apply(productId, operation, contextCausation());
    if (result.applied && result.stock.outbox.length > 0) this.outbox.nudge();
    return result;
  }

  /**
   * POST /inventory: sets the stock of a catalogue product, creating its record when product_created
   * has not been handled yet. It races that event safely because both only ever *insert* the empty
   * record (one unique-key insert wins, the other finds it there) and only this request sets the
   * quantity, after the record exists: whichever comes first, the quantity is this one.
   */
  /** `authorization` is the caller's: an admin may stock a product that is not active (yet). */
  async createOrSet(body: { productId: string; quantity: number; lowStockThreshold?: number | undefined }, authorization: string | undefined): Promise<View> {
    const lookup = await this.products.get(body.productId, authorization);
    if (lookup.status === 'not_found') throw stockErrors.productNotFound(body.productId);
    if (lookup.status === 'unavailable') throw stockErrors.catalogueUnavailable(body.productId);
    const created = await this.createEmpty({ productId: body.productId, sku: lookup.product.sku, name: lookup.product.name });
    const view = await this.setQuantity(body.productId, body);
    return { ...view, created };
  }

  /** product_created: a stock record with nothing on hand. A redelivery finds it there already. */
  async createForProduct(data: EventData<'product_created'>): Promise<void> {
    await this.createEmpty(data);
  }

  /** Inserts the empty record of a product; false when it exists already. */
  private createEmpty(product: { productId: string; sku: string; name: string }): Promise<boolean> {
    const now = new Date();
    return this.repository.create({
      _id: product.productId,
      productId: product.productId,
      sku: product.sku,
      name: product.name,
      onHand: 0,
      reserved: 0,
      available: 0,
      lowStockThreshold: this.defaults.lowStockThreshold,
      openHolds: 0,
      active: true,
      outbox: [],
      createdAt: now,
      updatedAt: now,
    });
  }

  /** product_deleted: the record stays (holds in flight still settle) but takes nothing new. */
  async retireProduct(data: EventData<'product_deleted'>): Promise<void> {
    if (!(await this.repository.get(data.productId))) {
      // Deleted before its product_created was handled (a retry reordered them): try again later.
      throw new Error(`stock for ${data.productId} not created yet; product_deleted will be retried`);
    }
    await this.apply(data.productId, { kind: 'retire' });
  }

  private async change(productId: string, operation: StockOperation): Promise<View> {
    const { stock, applied } = await this.apply(productId, operation);
    return { ...this.repository.toView(stock), applied };
  }
}
