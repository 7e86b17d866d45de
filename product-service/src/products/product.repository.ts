import type { CloudEvent } from '@oip/contracts';
import { isDuplicateKey, VersionedCollection, type StateOf, type StringIdCollection } from '@oip/platform/mongo';
import { productView, type ProductModels, type ProductRecord } from './product.model';
import { productErrors } from './product.errors';

export interface ProductListFilter {
  includeInactive: boolean;
  category?: string;
  /** Matched case-insensitively in name, description and SKU. */
  text?: string;
  minPriceMinor?: number;
  maxPriceMinor?: number;
  sort: { field: 'nameKey' | 'priceMinor' | 'createdAt'; direction: 1 | -1 };
  skip: number;
  limit: number;
}

export type ProductState = StateOf<ProductRecord>;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The only place that touches mongoose for products. Every change to an existing product goes
 * through a VersionedCollection (claim a revision, then write), because FerretDB does not apply
 * single-document updates atomically; creation is a plain insert, which is atomic everywhere.
 */
export class ProductRepository {
  private readonly versioned: VersionedCollection<ProductRecord>;

  constructor(private readonly models: ProductModels) {
    this.versioned = new VersionedCollection<ProductRecord>(this.raw, models.revisions.collection as unknown as StringIdCollection);
  }

  /** The raw collection, for the outbox relay's query. */
  get raw(): StringIdCollection {
    return this.models.products.collection as unknown as StringIdCollection;
  }

  async create(product: ProductState & { _id: string }): Promise<ProductRecord> {
    try {
      return await this.versioned.insert(product);
    } catch (error) {
      if (isDuplicateKey(error)) throw productErrors.skuTaken(product.sku);
      throw error;
    }
  }

  /** The newest committed state: rolls forward over revisions not yet written back, and repairs. */
  findById(id: string): Promise<ProductRecord | null> {
    return this.versioned.read(id);
  }

  /**
   * The product as last written (one database round trip, where findById takes two): what the
   * catalogue listing shows. A change whose writer crashed between its revision and its write-back
   * shows here once an admin's read or the product's next change has rolled it forward.
   */
  findWritten(id: string): Promise<ProductRecord | null> {
    return this.versioned.readWritten(id);
  }

  /**
   * Applies `change` to the newest state of a product; `change` answers the new state, or
   * undefined to leave it as it is. Throws not-found for an unknown id.
   */
  async update(id: string, change: (current: ProductRecord) => ProductState | undefined): Promise<ProductRecord> {
    return this.versioned.update(id, (current) => {
      if (!current) throw productErrors.notFound(id);
      const next = change(current);
      return next ? { kind: 'change', next, result: (committed) => committed } : { kind: 'unchanged', result: current };
    });
  }

  /**
   * Called by the outbox relay once the broker confirmed the event; false when the event was not
   * there to remove (see DocumentOutboxOptions.remove).
   */
  removeOutboxEvent(id: string, eventId: string): Promise<boolean> {
    return this.versioned.update(id, (current) => {
      if (!current?.outbox.some((event: CloudEvent) => event.id === eventId)) return { kind: 'unchanged', result: false };
      const { _id: _ignored, version: _version, ...state } = current;
      return { kind: 'change', next: { ...state, outbox: current.outbox.filter((event) => event.id !== eventId) }, result: () => true };
    });
  }

  async list(filter: ProductListFilter): Promise<{ items: ProductRecord[]; total: number }> {
    const query: Record<string, unknown> = {};
    if (!filter.includeInactive) query['active'] = true;
    if (filter.category !== undefined) query['category'] = filter.category;
    if (filter.minPriceMinor !== undefined || filter.maxPriceMinor !== undefined) {
      query['priceMinor'] = {
        ...(filter.minPriceMinor !== undefined ? { $gte: filter.minPriceMinor } : {}),
        ...(filter.maxPriceMinor !== undefined ? { $lte: filter.maxPriceMinor } : {}),
      };
    }
    if (filter.text) {
      // A regex, not a text index: FerretDB 1.x has no text search.
      const pattern = new RegExp(escapeRegex(filter.text), 'i');
      query['$or'] = [{ name: pattern }, { description: pattern }, { sku: pattern }];
    }
    const [items, total] = await Promise.all([
      this.models.products
        .find(query)
        .sort({ [filter.sort.field]: filter.sort.direction, _id: 1 })
        .skip(filter.skip)
        .limit(filter.limit)
        .lean<ProductRecord[]>(),
      this.models.products.countDocuments(query),
    ]);
    return { items, total };
  }

  /** The public shape of a product. */
  toView(record: ProductRecord): Record<string, unknown> {
    return productView(record);
  }
}
